package katamari.worker.intake;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.atomic.AtomicInteger;
import katamari.config.KafkaSettings;
import katamari.config.PoolDefinition;
import katamari.topics.TopicNames;
import katamari.worker.supervisor.Instance;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Feeds one pool-version's instances on this agent from its share group.
 *
 * <p>Why not one consumer per instance: a share consumer in explicit mode must acknowledge every record of a poll
 * before it may poll again, so a consumer per instance fetched one record per round trip to the broker, and that
 * round trip (plus the acknowledgement the share coordinator persists) was most of the CPU a request cost: 813
 * echo requests/s at concurrency 32 against 11,110 for one consumer fetching batches (docs/benchmarks.md).
 *
 * <p>So two feeders, each with its own share consumer, fetch up to as many records as the agent has instances of
 * the pool-version (times the pool's {@code prefetch}, 1 by default) and put them on a local queue that idle
 * slots take from. While one feeder's batch runs, the
 * other may fetch the next, so an instance that finishes finds its next record here instead of waiting a round
 * trip. A feeder fetches only when nothing fetched is still waiting for a slot, so an agent holds at most one
 * batch (its instance count × prefetch) of records that no instance has started: everything else waits in Kafka, where any
 * free instance on any agent can take it. Each record is acknowledged by its feeder as soon as its slot is done:
 * ACCEPT after the reply is acknowledged by the broker (it rides on the next fetch), RELEASE or REJECT sent at
 * once. Records still waiting or running at half the share-group lock are renewed (KIP-1222), so only a dead
 * agent's records expire. On stop, waiting records are released at once and running ones finish.
 */
public final class PoolIntake {
    private static final Logger LOG = LoggerFactory.getLogger(PoolIntake.class);
    /** Two, so one batch can be fetched while the other runs; more would only hold more records locally. */
    private static final int FEEDERS = 2;
    private static final Duration POLL = Duration.ofMillis(500);

    private final PoolDefinition pool;
    private final KafkaSettings kafka;
    private final String name;
    private final LinkedBlockingQueue<Work> waiting = new LinkedBlockingQueue<>();
    /** Slots waiting in {@link #next} (idle, instance alive), and records started and not yet completed. */
    private final AtomicInteger idleSlots = new AtomicInteger();
    private final AtomicInteger busySlots = new AtomicInteger();
    /** Pipelining slots waiting in {@link #nextAhead}. */
    private final Set<Thread> aheadWaiters = ConcurrentHashMap.newKeySet();
    private final Object capacity = new Object();
    /** Held by the one feeder that is fetching: two fetching at once could each bring a batch no slot is free for. */
    private final AtomicBoolean fetching = new AtomicBoolean();
    private volatile Feeder pollOwner;
    private final List<Feeder> feeders = new ArrayList<>();
    private volatile int batchSize;
    private volatile int instances;
    private volatile boolean open = true;

    public PoolIntake(PoolDefinition pool, KafkaSettings kafka, String workerId, int instances) {
        this.pool = pool;
        this.kafka = kafka;
        this.name = workerId + "-" + pool.name() + "-" + pool.version();
        resize(instances);
    }

    public void start() {
        for (int i = 0; i < FEEDERS; i++) {
            Feeder f = new Feeder(name + "-feed" + i);
            feeders.add(f);
            Thread t = new Thread(f, "intake-" + f.clientId);
            t.setDaemon(true);
            t.start();
        }
    }

    /** The agent now runs {@code instances} of the pool-version: fetch batches of that size (feeders pick it up between batches). */
    public void resize(int instances) {
        this.instances = instances;
        // a pipelining instance holds two records (the one running and the one written ahead), so it needs twice as
        // many: a feeder's batch is done only when its last record is, and with 1 per instance they ran dry
        int perInstance = pool.prefetchPerInstance() * (pool.pipelines() ? Instance.MAX_CALLS_IN_FLIGHT : 1);
        batchSize = Math.max(1, instances) * perInstance;
    }

    /** For a slot whose instance is alive and idle: the next record to run, or null if none came within {@code timeout}. */
    Work next(Duration timeout) throws InterruptedException {
        if (idleSlots.incrementAndGet() + busySlots.get() == 1) {
            signal(); // the first live slot: feeders may fetch now (waking them for every take costs context switches)
        }
        try {
            long until = System.nanoTime() + timeout.toNanos();
            while (true) {
                Work w = waiting.poll(Math.max(0, until - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (w == null || claim(w)) {
                    return w;
                }
            }
        } finally {
            idleSlots.decrementAndGet();
        }
    }

    /**
     * For a slot whose instance has just answered: a record already waiting here, or null at once (the slot then
     * waits in {@link #next}). Lets the instance's stdout reader begin the next call without waking the slot's thread.
     */
    Work poll() {
        for (Work w = waiting.poll(); w != null; w = waiting.poll()) {
            if (claim(w)) {
                return w;
            }
        }
        return null;
    }

    /** Starts {@code w} for the calling slot; false when its feeder withdrew it first. */
    private boolean claim(Work w) {
        if (!w.start()) {
            return false;
        }
        busySlots.incrementAndGet();
        if (waiting.isEmpty()) {
            signal(); // the last waiting record is taken: a feeder may fetch the next batch
        }
        return true;
    }

    /**
     * For a pipelining slot whose instance is running a record: the next record to write ahead, or null when
     * {@code running} completes first, the intake stops, or {@code untilNanos} passes. A record goes to an idle slot
     * first: this takes one only while no slot waits in {@link #next}.
     */
    Work nextAhead(CompletableFuture<?> running, long untilNanos) {
        Thread me = Thread.currentThread();
        aheadWaiters.add(me);
        running.whenComplete((r, e) -> LockSupport.unpark(me));
        try {
            while (!running.isDone() && open) {
                Work w = idleSlots.get() == 0 ? waiting.poll() : null;
                if (w != null) {
                    if (claim(w)) {
                        return w;
                    }
                    continue; // withdrawn by its feeder
                }
                long left = untilNanos - System.nanoTime();
                if (left <= 0 || Thread.currentThread().isInterrupted()) {
                    return null;
                }
                LockSupport.parkNanos(this, left);
            }
            return null;
        } finally {
            aheadWaiters.remove(me);
        }
    }

    /** Records were added to {@link #waiting}: slots waiting to write one ahead look again. */
    private void offered() {
        for (Thread t : aheadWaiters) {
            LockSupport.unpark(t);
        }
    }

    /**
     * A feeder fetches only while no fetched record waits for a slot, some slot is alive to take one and no other
     * feeder is fetching, or owes a poll: one whose last poll came back empty may have a fetch in flight whose
     * records are locked once they land, so it polls next.
     */
    private boolean mayFetch(Feeder f) {
        Feeder owner = pollOwner;
        return open && !fetching.get() && (owner == null || owner == f) && waiting.isEmpty() && idleSlots.get() + busySlots.get() > 0;
    }

    private void signal() {
        synchronized (capacity) {
            capacity.notifyAll();
        }
    }

    private boolean awaitMayFetch(Feeder f, long ms) throws InterruptedException {
        synchronized (capacity) {
            if (!mayFetch(f)) {
                capacity.wait(ms);
            }
        }
        return mayFetch(f);
    }

    /** Stops fetching; records no slot has started go back to the broker, running ones are acknowledged when done. */
    public void stop() {
        open = false;
        signal();
        offered();
        feeders.forEach(Feeder::wakeup);
    }

    public boolean isStopped() {
        return feeders.stream().allMatch(f -> f.stopped.getCount() == 0);
    }

    public boolean awaitStopped(Duration timeout) throws InterruptedException {
        long until = System.nanoTime() + timeout.toNanos();
        for (Feeder f : feeders) {
            if (!f.stopped.await(Math.max(0, until - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                return false;
            }
        }
        return true;
    }

    /** One share consumer and the records of its latest poll; only its own thread touches the consumer. */
    final class Feeder implements Runnable {
        final String clientId;
        final CountDownLatch stopped = new CountDownLatch(1);
        private final ConcurrentLinkedQueue<Work> done = new ConcurrentLinkedQueue<>();
        /** Records of the current batch not completed yet; the last one wakes the feeder. */
        private final AtomicInteger pending = new AtomicInteger();
        private volatile Thread thread;
        private KafkaShareConsumer<byte[], byte[]> consumer;
        private volatile KafkaShareConsumer<byte[], byte[]> wakeable;
        private int consumerBatch;
        /** When the poll that brought the current batch began: the records' locks are at least this old. */
        private long polledAt;

        Feeder(String clientId) {
            this.clientId = clientId;
        }

        /** Called by the slot that ran {@code w}. */
        void completed(Work w) {
            busySlots.decrementAndGet();
            done.offer(w);
            // An ACCEPT waits for the batch's end anyway (it rides on the next fetch), so only the batch's last record
            // wakes the feeder, or a RELEASE or REJECT, which another instance should get at once: waking it for
            // every record cost a context switch per request. Every completion counts, hence no short circuit.
            if (w.outcome() != AcknowledgeType.ACCEPT | pending.decrementAndGet() <= 0) {
                LockSupport.unpark(thread);
            }
        }

        void wakeup() {
            LockSupport.unpark(thread);
            KafkaShareConsumer<byte[], byte[]> c = wakeable;
            if (c != null) {
                c.wakeup();
            }
        }

        @Override
        public void run() {
            thread = Thread.currentThread();
            try {
                boolean acceptsPending = false;
                while (open) {
                    if (!(mayFetch(this) && fetching.compareAndSet(false, true))) {
                        if (acceptsPending) {
                            // ACCEPTs ride on this consumer's next fetch; when that is not now, send them now
                            consumer.commitAsync();
                            acceptsPending = false;
                        }
                        awaitMayFetch(this, 200);
                        continue;
                    }
                    List<Work> batch = new ArrayList<>();
                    try {
                        // keep polling until records come: a poll that timed out may still have a fetch in flight,
                        // and what it brings is locked from then on, so this consumer, not the other, polls next
                        do {
                            polledAt = System.nanoTime();
                            for (ConsumerRecord<byte[], byte[]> r : consumer().poll(POLL)) {
                                batch.add(new Work(r, this));
                            }
                        } while (batch.isEmpty() && open && idleSlots.get() + busySlots.get() > 0);
                        pollOwner = batch.isEmpty() ? this : null;
                        pending.set(batch.size()); // before any slot can complete one
                        waiting.addAll(batch);
                        offered();
                    } catch (WakeupException e) {
                        continue;
                    } finally {
                        fetching.set(false);
                        signal();
                    }
                    if (!batch.isEmpty()) {
                        runBatch(batch, polledAt);
                        acceptsPending = true;
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException e) {
                LOG.error("intake {} failed; its unacknowledged records go back to the broker", clientId, e);
            } finally {
                if (consumer != null) {
                    try {
                        consumer.close(Duration.ofSeconds(5)); // commits acknowledgements still pending
                    } catch (RuntimeException e) {
                        LOG.debug("closing the consumer of {}", clientId, e);
                    }
                }
                stopped.countDown();
            }
        }

        /** A consumer fetching {@link #batchSize} records at most (a new one when the pool-version was resized). */
        private KafkaShareConsumer<byte[], byte[]> consumer() {
            int wanted = batchSize;
            if (consumer != null && consumerBatch != wanted) {
                consumer.close(Duration.ofSeconds(5));
                consumer = null;
            }
            if (consumer == null) {
                Properties p = kafka.clientProperties();
                p.put(ConsumerConfig.GROUP_ID_CONFIG, TopicNames.shareGroup(pool.name(), pool.version()));
                p.put(ConsumerConfig.CLIENT_ID_CONFIG, "katamari-" + clientId);
                p.put(ConsumerConfig.SHARE_ACKNOWLEDGEMENT_MODE_CONFIG, "explicit");
                // the broker hands out no more than this per fetch: an agent never holds more than its instances can start
                p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, String.valueOf(wanted));
                p.put(ConsumerConfig.SHARE_ACQUIRE_MODE_CONFIG, "record_limit");
                consumer = new KafkaShareConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
                consumer.subscribe(List.of(TopicNames.requests(pool.name(), pool.version())));
                consumerBatch = wanted;
                wakeable = consumer;
            }
            return consumer;
        }

        /**
         * Acknowledges each record of the batch as its slot finishes it, renews the locks of those still waiting or
         * running every half lock period, and on stop gives back those no slot has started.
         */
        private void runBatch(List<Work> batch, long lockSince) throws InterruptedException {
            Set<Work> unfinished = Collections.newSetFromMap(new IdentityHashMap<>());
            unfinished.addAll(batch);
            long renewEveryNs = TimeUnit.MILLISECONDS.toNanos(Math.max(500, consumer.acquisitionLockTimeoutMs().orElse(30_000) / 2));
            while (!unfinished.isEmpty()) {
                long untilRenewal = lockSince + renewEveryNs - System.nanoTime();
                Work w = done.poll();
                if (w == null) {
                    LockSupport.parkNanos(this, Math.max(1, Math.min(TimeUnit.MILLISECONDS.toNanos(100), untilRenewal)));
                    if (Thread.interrupted()) {
                        throw new InterruptedException();
                    }
                    w = done.poll();
                }
                boolean commitNow = false;
                for (; w != null; w = done.poll()) {
                    if (unfinished.remove(w) && w.outcome() != null) {
                        consumer.acknowledge(w.record, w.outcome());
                        // an ACCEPT rides on the next fetch; a RELEASE or REJECT goes now, so another instance can have it
                        commitNow |= w.outcome() != AcknowledgeType.ACCEPT;
                    }
                }
                if (!open || instances == 0) { // stopping, or no slot left to run them
                    for (Work u : List.copyOf(unfinished)) {
                        if (u.withdraw()) {
                            waiting.remove(u);
                            consumer.acknowledge(u.record, AcknowledgeType.RELEASE);
                            unfinished.remove(u);
                            commitNow = true;
                        }
                    }
                }
                if (commitNow) {
                    consumer.commitAsync();
                }
                if (!unfinished.isEmpty() && System.nanoTime() - lockSince >= renewEveryNs) {
                    renew(unfinished, renewEveryNs);
                    lockSince = System.nanoTime();
                }
            }
        }

        /**
         * Renews the locks of {@code unfinished}. A renewed record leaves the consumer's hands until a later poll
         * returns it (KIP-1222; that poll may also bring new records, which join the batch), and only then can it
         * be acknowledged. A record the broker did not give back has lost its lock: it is dropped from the batch and
         * never acknowledged here (its answer is still sent; the broker redelivers it).
         */
        private void renew(Set<Work> unfinished, long renewEveryNs) {
            Map<String, Work> awaiting = new HashMap<>();
            for (Work u : unfinished) {
                consumer.acknowledge(u.record, AcknowledgeType.RENEW);
                awaiting.put(key(u.record), u);
            }
            consumer.commitAsync();
            long until = System.nanoTime() + 2 * renewEveryNs;
            while (!awaiting.isEmpty() && System.nanoTime() < until) {
                ConsumerRecords<byte[], byte[]> back;
                try {
                    back = consumer.poll(Duration.ofMillis(100));
                } catch (WakeupException e) {
                    continue; // a stop: finish renewing first, the batch loop then gives back what is waiting
                }
                for (ConsumerRecord<byte[], byte[]> r : back) {
                    if (awaiting.remove(key(r)) == null) {
                        // a new record came with the renewed ones: keep it (giving it back would count a delivery
                        // against its attempts); it joins the batch and waits for a slot like the others
                        Work extra = new Work(r, this);
                        unfinished.add(extra);
                        pending.incrementAndGet();
                        waiting.add(extra);
                        offered();
                    }
                }
            }
            for (Work lost : awaiting.values()) {
                if (lost.withdraw()) {
                    waiting.remove(lost); // not started: the broker's redelivery is the only copy that will run
                    pending.decrementAndGet(); // it will never complete: the batch's last record must still wake us
                }
                LOG.warn("the share-group lock of the record at offset {} of {} was not renewed; it is left to the broker", lost.record.offset(), pool.key());
                unfinished.remove(lost);
            }
        }

        private static String key(ConsumerRecord<byte[], byte[]> r) {
            return r.topic() + "/" + r.partition() + "/" + r.offset();
        }
    }
}
