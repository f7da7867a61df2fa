package katamari.worker.reply;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import katamari.client.RequestPathProducer;
import katamari.config.KafkaSettings;
import katamari.topics.HeaderNames;
import katamari.topics.KafkaRecords;
import katamari.topics.Reply;
import katamari.topics.TopicNames;
import katamari.topics.WireCodec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Produces replies and dead letters for the whole agent, without blocking the slots for longer than a send's
 * metadata wait ({@code max.block.ms}, bounded by {@code replyTimeout}).
 *
 * <p>A reply or dead letter that cannot be written yet is kept and sent again (backoff 100 ms doubling to 1 s) as
 * long as the error is retriable (a timeout, no leader, not enough in-sync replicas: a broker outage) and the
 * request has life left: a reply until the request's deadline, then it is dead-lettered; a dead letter for
 * {@link #DEAD_LETTER_PATIENCE} more. Fatal errors (the reply topic does not exist after the metadata wait, a
 * record too large, no authorization) go to the next step at once, so a caller's deleted reply topic costs one
 * metadata wait, not the request's life; and for {@link #MISSING_TOPIC_MEMORY} after that, replies to it are
 * dead-lettered without another wait. (A client that leaves with requests in flight deletes its reply topic: each of
 * them used to hold a slot for a whole metadata wait, and 32 of them stopped a pool of 4 for 40 s.) Each write is one attempt of the producer bounded by {@code replyTimeout}
 * ({@code delivery.timeout.ms}); a broker kill makes {@code acks=all} produces wait for the controller to fence
 * the dead broker (about 9 s by default), longer than one attempt, which is why one attempt is not the end.
 * The futures returned complete only when the record is written, or when writing it is truly impossible (then
 * logged with the request's id, pool-version and reply topic): the caller acknowledges the request then, never
 * before.
 */
public final class ReplySender implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ReplySender.class);
    /** How long a dead letter is retried through a broker outage before the request is given up (logged). */
    static final Duration DEAD_LETTER_PATIENCE = Duration.ofSeconds(60);
    private static final long FIRST_BACKOFF_MS = 100;
    private static final long MAX_BACKOFF_MS = 1000;
    /**
     * How long a reply topic found missing is believed gone without asking the brokers again. Reply topics are
     * created by their readers before any request names them, so one that vanished is a reader that left; short,
     * because a reader that comes back under the same name (a restarted gateway with a fixed id) loses its
     * replies to the dead-letter topic until then.
     */
    static final Duration MISSING_TOPIC_MEMORY = Duration.ofSeconds(10);

    private final Producer<byte[], byte[]> producer;
    private final Duration replyTimeout;
    /** Sends again what failed; never the producer's I/O thread, which must not block. */
    private final ScheduledExecutorService retries = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "reply-retries");
        t.setDaemon(true);
        return t;
    });
    private final InstantSource clock;
    /** Reply topics a send found missing, with the time (epoch ms) until which that is believed. */
    private final ConcurrentHashMap<String, Long> missingTopics = new ConcurrentHashMap<>();
    private volatile boolean closed;

    public ReplySender(KafkaSettings kafka, Duration replyTimeout) {
        this(new KafkaProducer<>(producerSettings(kafka, replyTimeout), new ByteArraySerializer(), new ByteArraySerializer()), replyTimeout);
    }

    /** @param producer where replies and dead letters go (a {@code MockProducer} in tests) */
    public ReplySender(Producer<byte[], byte[]> producer, Duration replyTimeout) {
        this(producer, replyTimeout, InstantSource.system());
    }

    /** @param clock the time deadlines and {@link #MISSING_TOPIC_MEMORY} are measured by */
    public ReplySender(Producer<byte[], byte[]> producer, Duration replyTimeout, InstantSource clock) {
        this.producer = producer;
        this.replyTimeout = replyTimeout;
        this.clock = clock;
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
     * cannot be written before {@code deadline} (epoch ms: the request's life), once {@code request} is in the
     * dead-letter topic with the reason. It never fails, so the caller may acknowledge the request when it
     * completes: either way the request is not lost.
     */
    public CompletableFuture<Void> reply(String replyTo, Reply reply, String pool, String version, String instance,
                                         ConsumerRecord<byte[], byte[]> request, long deadline) {
        ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(replyTo, null,
                reply.id().getBytes(StandardCharsets.UTF_8), WireCodec.encodeReply(reply), KafkaRecords.replyHeaders(reply.id(), pool, version, instance));
        return write(record, deadline).exceptionallyCompose(e -> {
            LOG.warn("cannot deliver the reply to {} of {}/{} to {}: {}; dead-lettering the request", reply.id(), pool, version, replyTo, e.getMessage());
            return deadLetter(pool, version, request.key(), request.value(), request.headers(),
                    "reply undeliverable: " + replyTo + ": " + e.getMessage(), 1, instance, "");
        });
    }

    /**
     * Copies a request to its pool-version's dead-letter topic with the failure headers added. The future completes
     * once it is written, or once writing it proved impossible (a fatal error, or still failing after
     * {@link #DEAD_LETTER_PATIENCE}), which is logged with the request's id, pool-version and reply topic. It never fails.
     */
    public CompletableFuture<Void> deadLetter(String pool, String version, byte[] key, byte[] value, Iterable<Header> requestHeaders,
                                              String reason, int attempts, String instance, String stderrTail) {
        ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(TopicNames.dead(pool, version), null, key, value);
        requestHeaders.forEach(h -> record.headers().add(h));
        record.headers().add(KafkaRecords.header(HeaderNames.FAILURE_REASON, reason));
        record.headers().add(KafkaRecords.header(HeaderNames.FAILURE_ATTEMPTS, String.valueOf(attempts)));
        record.headers().add(KafkaRecords.header(HeaderNames.FAILURE_STDERR_TAIL, stderrTail == null ? "" : tail(stderrTail)));
        record.headers().add(KafkaRecords.header(HeaderNames.INSTANCE, instance));
        return write(record, clock.millis() + DEAD_LETTER_PATIENCE.toMillis()).exceptionally(e -> {
            // Nothing further to fall back to: say so loudly, with enough to find the request again.
            LOG.error("cannot dead-letter request {} of {}/{} (reply topic {}; {}): {}", text(record, HeaderNames.ID), pool, version,
                    text(record, HeaderNames.REPLY_TO), reason, e.getMessage());
            return null;
        });
    }

    /** Writes {@code record}, again after each retriable failure while {@code until} (epoch ms) is ahead; fails with the last error. */
    private CompletableFuture<Void> write(ProducerRecord<byte[], byte[]> record, long until) {
        CompletableFuture<Void> written = new CompletableFuture<>();
        attempt(record, until, written, 0);
        return written;
    }

    private void attempt(ProducerRecord<byte[], byte[]> record, long until, CompletableFuture<Void> written, int tries) {
        Long missingUntil = missingTopics.get(record.topic());
        if (missingUntil != null && clock.millis() < missingUntil) {
            // no send: it would wait out max.block.ms on this thread (a slot's, or the one retry thread) for nothing
            written.completeExceptionally(new UndeliverableReply(record.topic() + ": the topic does not exist (found missing within the last "
                    + MISSING_TOPIC_MEMORY.toSeconds() + " s)"));
            return;
        }
        try {
            producer.send(record, (metadata, e) -> {
                if (e == null) {
                    written.complete(null);
                } else {
                    retryOrFail(record, until, written, tries, e);
                }
            });
        } catch (RuntimeException e) { // e.g. no metadata for the topic within max.block.ms
            retryOrFail(record, until, written, tries, e);
        }
    }

    private void retryOrFail(ProducerRecord<byte[], byte[]> record, long until, CompletableFuture<Void> written, int tries, Exception e) {
        long backoff = Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS << Math.min(tries, 4));
        if (missingTopic(e)) {
            missingTopics.put(record.topic(), clock.millis() + MISSING_TOPIC_MEMORY.toMillis());
        }
        if (!closed && retriable(e) && clock.millis() + backoff < until) {
            LOG.debug("writing to {} failed ({}); again in {} ms", record.topic(), e.toString(), backoff);
            try {
                retries.schedule(() -> attempt(record, until, written, tries + 1), backoff, TimeUnit.MILLISECONDS);
                return;
            } catch (RuntimeException rejected) {
                // closing: fail below
            }
        }
        written.completeExceptionally(new UndeliverableReply(record.topic() + ": " + e.getMessage()));
    }

    /**
     * A broker outage (timeouts, no leader, not enough replicas) is worth waiting out; a topic the metadata wait
     * found missing, a record too large or a refused authorization will not heal within a request's life.
     */
    static boolean retriable(Throwable e) {
        return !missingTopic(e) && e instanceof RetriableException;
    }

    /** The metadata wait ended with the brokers saying the topic does not exist (Kafka 4 gives that as the cause). */
    private static boolean missingTopic(Throwable e) {
        return e instanceof UnknownTopicOrPartitionException || e.getCause() instanceof UnknownTopicOrPartitionException;
    }

    private static String text(ProducerRecord<byte[], byte[]> record, String name) {
        String text = KafkaRecords.text(record.headers(), name);
        return text == null ? "(none)" : text;
    }

    private static String tail(String text) {
        return text.length() <= 4000 ? text : text.substring(text.length() - 4000);
    }

    /** Stops retrying (writes already scheduled still run, within {@code replyTimeout}), then closes the producer. */
    @Override
    public void close() {
        closed = true;
        retries.shutdown();
        try {
            retries.awaitTermination(replyTimeout.toMillis() + 2000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        producer.close(Duration.ofSeconds(5));
    }

    /** A record the agent could not hand to Kafka in time. */
    private static final class UndeliverableReply extends Exception {
        UndeliverableReply(String message) {
            super(message, null, false, false);
        }
    }
}
