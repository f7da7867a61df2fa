package katamari.client;

import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import katamari.config.KafkaSettings;
import katamari.topics.ErrorCode;
import katamari.topics.HeaderNames;
import katamari.topics.KafkaRecords;
import katamari.topics.KatamariError;
import katamari.topics.MalformedRecordException;
import katamari.topics.Reply;
import katamari.topics.WireCodec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns every pending reply of one client (a gateway, or an agent making nested calls). Each pending entry is completed exactly once, by whoever removes it from
 * the map first: the reply consumer, the deadline timer, or a failed send ({@link #fail}). Late and duplicate
 * replies find nothing to remove and are logged, never delivered.
 *
 * <p>The consumer is assigned the reply topic's partitions directly (no group, so no rebalance delay) and starts at
 * the end; {@link #isReady()} turns true once its position is fixed, so no reply produced after that is missed.
 */
final class ReplyCorrelator implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ReplyCorrelator.class);

    /** One pending reply; its timer is set right after the entry is in the map (see {@link #expect}). */
    private static final class Pending {
        final String id;
        final CompletableFuture<Answer> answer = new CompletableFuture<>();
        private volatile ScheduledFuture<?> timer;

        Pending(String id) {
            this.id = id;
        }
        /** The id of a hedge copy waiting on the same answer ({@link #alsoExpect}), or null. */
        private volatile String hedgeId;

        void cancelTimer() {
            ScheduledFuture<?> t = timer;
            if (t != null) {
                t.cancel(false);
            }
        }
    }

    private enum State { NEW, RUNNING, CLOSED }

    private final AtomicReference<State> state = new AtomicReference<>(State.NEW);
    private final Map<String, Pending> pending = new ConcurrentHashMap<>();
    private final ScheduledExecutorService timers;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final String topic;
    private final int partitions;
    private volatile boolean ready;
    private Thread poller;
    private final InstantSource clock;

    public ReplyCorrelator(KafkaSettings kafka, String topic, int partitions) {
        this(kafka, topic, partitions, timers());
    }

    /** @param timers runs the deadline timers (a seam: tests decide when a timer fires) */
    ReplyCorrelator(KafkaSettings kafka, String topic, int partitions, ScheduledExecutorService timers) {
        this(kafka, topic, partitions, timers, InstantSource.system());
    }

    /** @param clock what a deadline's delay is measured from */
    ReplyCorrelator(KafkaSettings kafka, String topic, int partitions, ScheduledExecutorService timers, InstantSource clock) {
        this.timers = timers;
        this.clock = clock;
        this.topic = topic;
        this.partitions = partitions;
        Properties p = kafka.clientProperties();
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, "katamari-replies-" + topic);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
        p.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "500");
        this.consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    public void start() {
        if (!state.compareAndSet(State.NEW, State.RUNNING)) {
            throw new IllegalStateException("reply correlator cannot be started more than once");
        }
        poller = daemon(this::pollLoop, "reply-consumer-" + topic);
        poller.start();
    }

    public boolean isReady() {
        return ready && state.get() == State.RUNNING;
    }


    /**
     * Registers a correlation id before its request is sent. The future completes with the reply, or with a
     * {@code timeout} error when {@code deadlineMillis} (epoch ms) passes first.
     */
    public CompletableFuture<Answer> expect(String id, long deadlineMillis) {
        Pending entry = new Pending(id);
        if (pending.putIfAbsent(id, entry) != null) {
            throw new IllegalArgumentException("correlation id " + id + " is already pending");
        }
        // The entry first, then its timer: a timer scheduled first could fire (a delay of 0: a nested call at its
        // caller's deadline) before the entry existed, find nothing, and leave the entry with no timeout at all,
        // holding its caller's backpressure permit until a reply happened to come.
        long delay = Math.max(0, deadlineMillis - clock.millis());
        entry.timer = timers.schedule(() -> timeOut(id, entry, delay), delay, TimeUnit.MILLISECONDS);
        if (entry.answer.isDone()) {
            entry.cancelTimer(); // answered between the put and the schedule
        }
        return entry.answer;
    }

    /**
     * Lets a reply to {@code hedgeId} (a hedge copy of {@code id}'s request) answer {@code id}'s pending entry: whichever
     * of the two replies comes first completes it (its {@link Reply#id()} says which), the other finds nothing. Call it
     * before the copy is sent. @return false when {@code id} is no longer pending, so no copy should be sent
     */
    public boolean alsoExpect(String hedgeId, String id) {
        Pending entry = pending.get(id);
        if (entry == null) {
            return false;
        }
        entry.hedgeId = hedgeId;
        if (pending.putIfAbsent(hedgeId, entry) != null) {
            throw new IllegalArgumentException("correlation id " + hedgeId + " is already pending");
        }
        if (entry.answer.isDone()) { // answered between the get and the put: the completer may not have seen hedgeId
            pending.remove(hedgeId, entry);
            return false;
        }
        return true;
    }

    /**
     * Forgets a pending id without answering it (a majority request decided before this copy answered): its timer
     * is cancelled and its reply, should one come, is dropped as late. Whoever waited on it must not wait any more.
     */
    public void drop(String id) {
        Pending p = pending.remove(id);
        if (p != null) {
            p.cancelTimer();
        }
    }

    /** Completes a pending entry with an error the client produced itself (e.g. the request could not be sent). */
    public void fail(String id, KatamariError error) {
        Pending p = pending.remove(id);
        if (p != null) {
            finish(p, new Answer(Reply.failure(id, error), null, null));
        }
    }

    /** Only {@code entry}'s own timer may remove it: a stale timer must not take a later entry of the same id. */
    private void timeOut(String id, Pending entry, long waitedMs) {
        if (pending.remove(id, entry)) {
            finish(entry, new Answer(Reply.failure(id, KatamariError.of(ErrorCode.TIMEOUT,
                    "no reply within " + waitedMs + " ms")), null, null));
        }
    }

    /**
     * Completes an entry its completer removed under one of its ids; the other id (a hedge's) goes too, so that the
     * losing copy's reply is dropped as late. The future's first completion wins should both ids be taken at once.
     */
    private void finish(Pending p, Answer answer) {
        p.cancelTimer();
        String hedgeId = p.hedgeId;
        if (hedgeId != null) {
            pending.remove(hedgeId, p);
        }
        pending.remove(p.id, p);
        p.answer.complete(answer);
    }

    private void deliver(ConsumerRecord<byte[], byte[]> record) {
        Reply reply;
        try {
            reply = WireCodec.decodeReply(record.value());
        } catch (MalformedRecordException e) {
            LOG.warn("ignoring a malformed record on {} at offset {}: {}", topic, record.offset(), e.getMessage());
            return;
        }
        Pending p = pending.remove(reply.id());
        if (p == null) {
            LOG.info("late or duplicate reply {} on {} dropped (its caller was already answered)", reply.id(), topic);
            return;
        }
        finish(p, new Answer(reply, KafkaRecords.text(record.headers(), HeaderNames.POOL), KafkaRecords.text(record.headers(), HeaderNames.VERSION)));
    }

    private void pollLoop() {
        try {
            List<TopicPartition> assigned = java.util.stream.IntStream.range(0, partitions)
                    .mapToObj(i -> new TopicPartition(topic, i)).toList();
            consumer.assign(assigned);
            consumer.seekToEnd(assigned);
            assigned.forEach(consumer::position); // forces the seek now, so "ready" means "will see every new reply"
            ready = true;
            while (state.get() == State.RUNNING) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofSeconds(1))) {
                    deliver(record);
                }
            }
        } catch (WakeupException e) {
            // close() asked us to stop
        } catch (RuntimeException e) {
            if (state.get() == State.RUNNING) {
                LOG.error("reply consumer for {} failed; the client is no longer ready", topic, e);
            }
        } finally {
            ready = false;
            consumer.close(Duration.ofSeconds(2));
        }
    }

    @Override
    public void close() {
        State was = state.getAndSet(State.CLOSED);
        if (was == State.NEW) { // never started: no poller owns the consumer
            consumer.close(Duration.ZERO);
            timers.shutdownNow();
        }
        if (was != State.RUNNING) {
            return;
        }
        consumer.wakeup();
        try {
            poller.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        timers.shutdownNow();
        for (String id : List.copyOf(pending.keySet())) {
            fail(id, KatamariError.of(ErrorCode.TIMEOUT, "the client is shutting down"));
        }
    }

    /**
     * One deadline timer per pending reply. A reply cancels its timer, and a cancelled timer is removed at once: left
     * in the queue (the default), each would wake the timer thread at its deadline, one wake-up per request.
     */
    private static ScheduledThreadPoolExecutor timers() {
        ScheduledThreadPoolExecutor timers = new ScheduledThreadPoolExecutor(1, r -> daemon(r, "reply-timeouts"));
        timers.setRemoveOnCancelPolicy(true);
        return timers;
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }
}
