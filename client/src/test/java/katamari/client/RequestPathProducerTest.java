package katamari.client;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Properties;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

class RequestPathProducerTest {

    /** Parsed by Kafka's own config definitions, so a misspelt or out-of-range setting fails here. */
    private static ProducerConfig parsed() {
        Properties p = RequestPathProducer.settings(new Properties());
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:9092");
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        return new ProducerConfig(p);
    }

    @Test
    void metadataRefreshesBackOffByOneFixedIntervalSoTheDueCheckCannotDisagreeWithItself() {
        ProducerConfig c = parsed();
        // equal bounds make Kafka's ExponentialBackoff constant and jitter-free
        assertEquals(c.getLong(ProducerConfig.RETRY_BACKOFF_MS_CONFIG), c.getLong(ProducerConfig.RETRY_BACKOFF_MAX_MS_CONFIG));
        assertEquals(100L, c.getLong(ProducerConfig.RETRY_BACKOFF_MS_CONFIG));
    }

    @Test
    void requestsAreAcknowledgedByTheBrokerOnceAndLeaveAtOnceOneRequestAtATime() {
        ProducerConfig c = parsed();
        assertEquals("-1", c.getString(ProducerConfig.ACKS_CONFIG));
        assertEquals(true, c.getBoolean(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG));
        assertEquals(0L, c.getLong(ProducerConfig.LINGER_MS_CONFIG));
        assertEquals(1, c.getInt(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION));
    }
}
