package katamari.worker.reply;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import katamari.config.KafkaSettings;
import katamari.topics.HeaderNames;
import katamari.topics.Reply;
import katamari.topics.TopicNames;
import katamari.topics.WireCodec;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Produces replies and dead letters for the whole agent. Every send blocks at most {@code replyTimeout}
 * ({@code max.block.ms} and {@code delivery.timeout.ms} are bounded by it), so a reply topic that does not exist
 * cannot stall an instance's slot: the caller dead-letters the request instead.
 */
public final class ReplySender implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ReplySender.class);

    private final KafkaProducer<byte[], byte[]> producer;
    private final Duration replyTimeout;

    public ReplySender(KafkaSettings kafka, Duration replyTimeout) {
        this.replyTimeout = replyTimeout;
        Properties p = kafka.clientProperties();
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "0");
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, String.valueOf(replyTimeout.toMillis()));
        int deliveryMs = (int) Math.max(replyTimeout.toMillis(), 1000);
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, String.valueOf(Math.min(deliveryMs, 30_000)));
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, String.valueOf(deliveryMs));
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "katamari-worker-replies");
        this.producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** Sends a reply and waits for the broker's acknowledgement; the failure says why it could not be delivered. */
    public void send(String replyTo, Reply reply, String pool, String version, String instance) throws UndeliverableReply {
        List<Header> headers = List.of(
                header(HeaderNames.ID, reply.id()),
                header(HeaderNames.POOL, pool),
                header(HeaderNames.VERSION, version),
                header(HeaderNames.INSTANCE, instance));
        ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(replyTo, null,
                reply.id().getBytes(StandardCharsets.UTF_8), WireCodec.encodeReply(reply), headers);
        sendAndWait(record);
    }

    /** Copies a request to its pool-version's dead-letter topic with the failure headers added. */
    public void deadLetter(String pool, String version, byte[] key, byte[] value, Iterable<Header> requestHeaders,
                           String reason, int attempts, String instance, String stderrTail) {
        ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(TopicNames.dead(pool, version), null, key, value);
        requestHeaders.forEach(h -> record.headers().add(h));
        record.headers().add(header(HeaderNames.FAILURE_REASON, reason));
        record.headers().add(header(HeaderNames.FAILURE_ATTEMPTS, String.valueOf(attempts)));
        record.headers().add(header(HeaderNames.FAILURE_STDERR_TAIL, stderrTail == null ? "" : tail(stderrTail)));
        record.headers().add(header(HeaderNames.INSTANCE, instance));
        try {
            sendAndWait(record);
        } catch (UndeliverableReply e) {
            // Nothing further to fall back to: say so loudly, with enough to find the request again.
            LOG.error("cannot dead-letter a request of {}/{} ({}): {}", pool, version, reason, e.getMessage());
        }
    }

    private void sendAndWait(ProducerRecord<byte[], byte[]> record) throws UndeliverableReply {
        try {
            producer.send(record).get(replyTimeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new UndeliverableReply(record.topic() + ": " + e.getCause().getMessage());
        } catch (TimeoutException e) {
            throw new UndeliverableReply(record.topic() + ": not acknowledged within " + replyTimeout.toMillis() + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UndeliverableReply(record.topic() + ": interrupted");
        } catch (RuntimeException e) {
            throw new UndeliverableReply(record.topic() + ": " + e.getMessage());
        }
    }

    private static String tail(String text) {
        return text.length() <= 4000 ? text : text.substring(text.length() - 4000);
    }

    private static Header header(String name, String value) {
        return new RecordHeader(name, value == null ? new byte[0] : value.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
    }

    /** A reply the agent could not hand to Kafka in time. */
    public static final class UndeliverableReply extends Exception {
        public UndeliverableReply(String message) {
            super(message);
        }
    }
}
