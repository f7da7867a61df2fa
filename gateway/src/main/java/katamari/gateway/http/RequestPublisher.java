package katamari.gateway.http;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import katamari.config.KafkaSettings;
import katamari.config.PoolDefinition;
import katamari.gateway.correlation.ReplyCorrelator;
import katamari.topics.ErrorCode;
import katamari.topics.HeaderNames;
import katamari.topics.KatamariError;
import katamari.topics.Request;
import katamari.topics.TopicNames;
import katamari.topics.WireCodec;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** Produces requests to {@code katamari.requests.<pool>.<version>} with the DESIGN.md headers. */
public final class RequestPublisher implements AutoCloseable {
    private final KafkaProducer<byte[], byte[]> producer;
    private final String replyTopic;

    public RequestPublisher(KafkaSettings kafka, String replyTopic, Duration maxBlock) {
        this.replyTopic = replyTopic;
        Properties p = kafka.clientProperties();
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "0");
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, String.valueOf(maxBlock.toMillis()));
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "katamari-gateway-requests");
        this.producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** Sends a request; if Kafka refuses it, the pending reply is failed at once instead of waiting for the deadline. */
    public void publish(PoolDefinition pool, String id, Request request, long deadline, String pin, ReplyCorrelator correlator) {
        List<Header> headers = new ArrayList<>(List.of(
                header(HeaderNames.ID, id),
                header(HeaderNames.REPLY_TO, replyTopic),
                header(HeaderNames.DEADLINE, Long.toString(deadline))));
        if (pin != null) {
            headers.add(header(HeaderNames.VERSION_PIN, pin));
        }
        ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(TopicNames.requests(pool.name(), pool.version()),
                null, (byte[]) null, WireCodec.encodeRequest(request), headers);
        try {
            producer.send(record, (metadata, error) -> {
                if (error != null) {
                    correlator.fail(id, KatamariError.of(ErrorCode.OVERLOADED, "the request could not be queued: " + error.getMessage())
                            .at(pool.name(), pool.version()));
                }
            });
        } catch (RuntimeException e) {
            correlator.fail(id, KatamariError.of(ErrorCode.OVERLOADED, "the request could not be queued: " + e.getMessage())
                    .at(pool.name(), pool.version()));
        }
    }

    private static Header header(String name, String value) {
        return new RecordHeader(name, value.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
    }
}
