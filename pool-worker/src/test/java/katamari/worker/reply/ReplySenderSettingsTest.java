package katamari.worker.reply;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.Properties;
import katamari.config.KafkaSettings;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

class ReplySenderSettingsTest {

    private static ProducerConfig parsed(Duration replyTimeout) {
        Properties p = ReplySender.producerSettings(KafkaSettings.defaults(), replyTimeout);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        return new ProducerConfig(p);
    }

    @Test
    void aCallersReplyTopicLeavesTheProducersMetadataFiveSecondsAfterTheLastReply() {
        assertEquals(5_000L, parsed(Duration.ofSeconds(5)).getLong(ProducerConfig.METADATA_MAX_IDLE_CONFIG));
    }

    @Test
    void aReplyBlocksTheAgentNoLongerThanTheReplyTimeout() {
        ProducerConfig c = parsed(Duration.ofSeconds(3));
        assertEquals(3_000L, c.getLong(ProducerConfig.MAX_BLOCK_MS_CONFIG));
        assertEquals(3_000, c.getInt(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG));
        assertEquals(3_000, c.getInt(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG));
    }

    @Test
    void repliesKeepTheRequestPathsFixedRetryBackoff() {
        ProducerConfig c = parsed(Duration.ofSeconds(5));
        assertEquals(c.getLong(ProducerConfig.RETRY_BACKOFF_MS_CONFIG), c.getLong(ProducerConfig.RETRY_BACKOFF_MAX_MS_CONFIG));
    }
}
