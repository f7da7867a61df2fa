package katamari.worker.reply;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import katamari.client.RequestPathProducer;
import katamari.config.KafkaSettings;
import katamari.topics.HeaderNames;
import katamari.topics.Reply;
import katamari.topics.TopicNames;
import katamari.topics.WireCodec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Produces replies and dead letters for the whole agent. A reply is sent without waiting ({@link #reply}); a send
 * blocks the caller at most {@code replyTimeout} ({@code max.block.ms} and {@code delivery.timeout.ms} are bounded by
 * it), so a reply topic that does not exist cannot stall an instance's slot: the request is dead-lettered instead.
 */
public final class ReplySender implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ReplySender.class);

    private final KafkaProducer<byte[], byte[]> producer;
    private final Duration replyTimeout;
    /** Dead-letters undeliverable replies: a blocking send, kept off the producer's I/O thread and off the slots. */
    private final ExecutorService failures = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "reply-failures");
        t.setDaemon(true);
        return t;
    });

    public ReplySender(KafkaSettings kafka, Duration replyTimeout) {
        this.replyTimeout = replyTimeout;
        this.producer = new KafkaProducer<>(producerSettings(kafka, replyTimeout), new ByteArraySerializer(), new ByteArraySerializer());
    }

    static Properties producerSettings(KafkaSettings kafka, Duration replyTimeout) {
        Properties p = RequestPathProducer.settings(kafka.clientProperties());
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, String.valueOf(replyTimeout.toMillis()));
        int deliveryMs = (int) Math.max(replyTimeout.toMillis(), 1000);
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, String.valueOf(Math.min(deliveryMs, 30_000)));
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, String.valueOf(deliveryMs));
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "katamari-worker-replies");
        // Reply topics are the callers': they come and go (a gateway's, or a client's own that it deletes when done).
        // The producer keeps a topic it sent to in every full metadata refresh until it has been idle this long, and
        // a deleted one answers "unknown topic", which asks for another refresh: Kafka's default of 5 min kept that
        // going for minutes after each deletion. The cost of the minimum, 5 s: a reply after a quiet spell that long
        // waits one metadata round trip.
        p.put(ProducerConfig.METADATA_MAX_IDLE_CONFIG, String.valueOf(TOPIC_IDLE.toMillis()));
        return p;
    }

    /** Kafka's minimum for {@code metadata.max.idle.ms}. */
    static final Duration TOPIC_IDLE = Duration.ofSeconds(5);

    /**
     * Sends a reply without waiting for it. The future completes once the broker has acknowledged it, or, when it
     * cannot be delivered within {@code replyTimeout}, once {@code request} is in the dead-letter topic with the
     * reason (done on this sender's own thread: the producer's I/O thread must never block). It never fails, so
     * the caller may acknowledge the request when it completes: either way the request is not lost.
     */
    public CompletableFuture<Void> reply(String replyTo, Reply reply, String pool, String version, String instance,
                                         ConsumerRecord<byte[], byte[]> request) {
        List<Header> headers = List.of(
                header(HeaderNames.ID, reply.id()),
                header(HeaderNames.POOL, pool),
                header(HeaderNames.VERSION, version),
                header(HeaderNames.INSTANCE, instance));
        ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(replyTo, null,
                reply.id().getBytes(StandardCharsets.UTF_8), WireCodec.encodeReply(reply), headers);
        CompletableFuture<Void> delivered = new CompletableFuture<>();
        Consumer<Exception> deadLetter = e -> {
            LOG.warn("cannot deliver the reply to {} of {}/{} to {}: {}; dead-lettering the request", reply.id(), pool, version, replyTo, e.getMessage());
            failures.execute(() -> {
                try {
                    deadLetter(pool, version, request.key(), request.value(), request.headers(),
                            "reply undeliverable: " + replyTo + ": " + e.getMessage(), 1, instance, "");
                } finally {
                    delivered.complete(null);
                }
            });
        };
        try {
            producer.send(record, (metadata, e) -> {
                if (e == null) {
                    delivered.complete(null);
                } else {
                    deadLetter.accept(e);
                }
            });
        } catch (RuntimeException e) { // e.g. no metadata for the topic within max.block.ms
            deadLetter.accept(e);
        }
        return delivered;
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
        failures.shutdown();
        try {
            failures.awaitTermination(replyTimeout.toMillis() + 2000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        producer.close(Duration.ofSeconds(5));
    }

    /** A record the agent could not hand to Kafka in time. */
    private static final class UndeliverableReply extends Exception {
        UndeliverableReply(String message) {
            super(message);
        }
    }
}
