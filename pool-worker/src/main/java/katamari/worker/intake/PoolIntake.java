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
import java.util.Optional;
import katamari.worker.supervisor.Instance;
import katamari.worker.supervisor.RestartBackoff;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.clients.consumer.ShareConsumer;
import org.apache.kafka.common.errors.TimeoutException;
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
 *
 * <p>A feeder whose consumer fails is restarted with a new consumer, with backoff ({@link Feeder#recover}); the intake
 * reports itself unhealthy ({@link #trouble}) from the failure until the new consumer has polled, and for as long as
 * its feeders keep failing, so an agent that cannot feed its instances says so instead of starving silently.
 */
public final class PoolIntake {
    private static final Logger LOG = LoggerFactory.getLogger(PoolIntake.class);
    /** Two, so one batch can be fetched while the other runs; more would only hold more records locally. */
    private static final int FEEDERS = 2;
    private static final Duration POLL = Duration.ofMillis(500);
    /** Feeder restarts back off from 100 ms up to this: a broker outage is retried at least this often. */
    static final Duration MAX_RESTART_BACKOFF = Duration.ofSeconds(5);
    /** A feeder that failed this many times in a row, the last less than {@link #HEALTHY_AFTER} ago, is failing repeatedly. */
    static final int REPEATED_FAILURES = 3;
    private static final Duration HEALTHY_AFTER = Duration.ofSeconds(30);

    /** Makes a feeder's share consumer from its settings: the seam the restart logic is tested through. */
    interface ShareConsumers {
        ShareConsumer<byte[], byte[]> create(Properties settings);
    }

    private final PoolDefinition pool;
    private final KafkaSettings kafka;
    private final ShareConsumers consumers;
    private final Duration healthyAfter;
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
    /** When some feeder's poll last returned without failing (System.nanoTime). */
    private volatile long lastGoodPoll = System.nanoTime();
    private final List<Feeder> feeders = new ArrayList<>();
    private volatile int batchSize;
    private volatile int instances;
    private volatile boolean open = true;

    public PoolIntake(PoolDefinition pool, KafkaSettings kafka, String workerId, int instances) {
        this(pool, kafka, workerId, instances, p -> new KafkaShareConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer()),
                HEALTHY_AFTER);
    }

    /** @param healthyAfter this long after its last failure, a feeder no longer counts as failing repeatedly */
    PoolIntake(PoolDefinition pool, KafkaSettings kafka, String workerId, int instances, ShareConsumers consumers, Duration healthyAfter) {
        this.pool = pool;
        this.kafka = kafka;
        this.consumers = consumers;
        this.healthyAfter = healthyAfter;
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

    /**
     * Why this intake cannot feed its instances right now, empty while it can: a feeder is down (its consumer failed
     * and no feeder has polled since) or failing repeatedly ({@value #REPEATED_FAILURES} failures in a row, the last
     * less than 30 s ago). Reported in the worker's heartbeat, metrics and {@code /readyz}.
     */
    public Optional<String> trouble() {
        return feeders.stream().map(Feeder::trouble).filter(java.util.Objects::nonNull).findFirst();
    }

    /** How many times this intake's feeders were restarted after a failure. */
    public int restarts() {
        return feeders.stream().mapToInt(f -> f.restarts).sum();
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

    /**
     * One share consumer and the records of its latest poll; only its own thread touches the consumer. When the
     * consumer fails, the feeder gives up its batch and carries on with a new one ({@link #recover}).
     */
    final class Feeder implements Runnable {
        final String clientId;
        final CountDownLatch stopped = new CountDownLatch(1);
        private final ConcurrentLinkedQueue<Work> done = new ConcurrentLinkedQueue<>();
        /** Records of the current batch not completed yet; the last one wakes the feeder. */
        private final AtomicInteger pending = new AtomicInteger();
        /** The current batch's records not acknowledged yet; feeder thread only. */
        private final Set<Work> unfinished = Collections.newSetFromMap(new IdentityHashMap<>());
        private final RestartBackoff backoff = new RestartBackoff(MAX_RESTART_BACKOFF, healthyAfter);
        private volatile Thread thread;
        private ShareConsumer<byte[], byte[]> consumer;
        private volatile ShareConsumer<byte[], byte[]> wakeable;
        private int consumerBatch;
        /** When this feeder's consumer last polled after a start or a failure; -1 while it has not. */
        private volatile long upSince = -1;
        /** When the poll that brought the current batch began: the records' locks are at least this old. */
        private long polledAt;
        /** The last failure and when it was; read by {@link #trouble} on other threads. */
        private volatile String lastFailure;
        private volatile long lastFailureNanos;
        volatile int restarts;

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
            ShareConsumer<byte[], byte[]> c = wakeable;
            if (c != null) {
                c.wakeup();
            }
        }

        String trouble() {
            String why = lastFailure;
            long at = lastFailureNanos;
            if (why == null) {
                return null;
            }
            // down: no feeder of the intake has polled since (the other one's polls count: while idle, only one polls)
            if (lastGoodPoll - at < 0) {
                return "intake " + clientId + " is down: " + why;
            }
            int inARow = backoff.consecutiveFailures();
            boolean repeated = inARow >= REPEATED_FAILURES && System.nanoTime() - at < healthyAfter.toNanos();
            return repeated ? "intake " + clientId + " failed " + inARow + " times in a row, last: " + why : null;
        }

        @Override
        public void run() {
            thread = Thread.currentThread();
            try {
                while (open) {
                    try {
                        feed();
                    } catch (RuntimeException e) {
                        recover(e);
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                closeConsumer(Duration.ofSeconds(5)); // commits acknowledgements still pending
                stopped.countDown();
            }
        }

        /** Fetches batches and runs them until the intake stops; a failure of the consumer is thrown. */
        private void feed() throws InterruptedException {
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
                        ConsumerRecords<byte[], byte[]> records = consumer().poll(POLL);
                        lastGoodPoll = System.nanoTime();
                        if (upSince < 0) {
                            upSince = lastGoodPoll;
                        }
                        for (ConsumerRecord<byte[], byte[]> r : records) {
                            batch.add(new Work(r, this));
                        }
                    } while (batch.isEmpty() && open && idleSlots.get() + busySlots.get() > 0);
                    pollOwner = batch.isEmpty() ? this : null;
                    pending.set(batch.size()); // before any slot can complete one
                    unfinished.addAll(batch);
                    waiting.addAll(batch);
                    offered();
                } catch (WakeupException e) {
                    continue;
                } finally {
                    fetching.set(false);
                    signal();
                }
                if (!batch.isEmpty()) {
                    runBatch(polledAt);
                    acceptsPending = true;
                }
            }
        }

        /**
         * After the consumer failed: the records of its batch no slot has started are withdrawn (and released when
         * the consumer still can), the consumer is closed, and a new one is made after the backoff. Records that
         * are running are not acknowledged by anyone: their slots still send the answers, and the broker
         * redelivers them when their locks expire or the closed consumer's session gives them back (the gateway
         * answers each id once). Acknowledging them on the new consumer is impossible: a record belongs to the
         * consumer that acquired it.
         */
        private void recover(RuntimeException e) throws InterruptedException {
            backoff.failed(Duration.ofNanos(upSince < 0 ? 0 : System.nanoTime() - upSince));
            upSince = -1;
            lastFailure = e.toString();
            lastFailureNanos = System.nanoTime();
            Duration wait = backoff.nextDelay();
            LOG.error("intake {} failed ({} in a row); restarting it with a new consumer in {} ms; records it fetched that no slot started go back to the broker",
                    clientId, backoff.consecutiveFailures(), wait.toMillis(), e);
            if (pollOwner == this) {
                pollOwner = null; // the other feeder may fetch meanwhile
            }
            for (Work u : List.copyOf(unfinished)) {
                if (u.withdraw()) {
                    waiting.remove(u);
                    try {
                        consumer.acknowledge(u.record, AcknowledgeType.RELEASE);
                    } catch (RuntimeException ignored) {
                        // its lock expires instead
                    }
                }
            }
            unfinished.clear();
            done.clear();
            pending.set(0);
            closeConsumer(Duration.ofSeconds(1));
            restarts++;
            signal();
            long until = System.nanoTime() + wait.toNanos();
            while (open && System.nanoTime() < until) {
                LockSupport.parkNanos(this, until - System.nanoTime()); // stop() unparks
                if (Thread.interrupted()) {
                    throw new InterruptedException();
                }
            }
        }

        private void closeConsumer(Duration timeout) {
            ShareConsumer<byte[], byte[]> c = consumer;
            consumer = null;
            wakeable = null;
            if (c != null) {
                try {
                    c.close(timeout);
                } catch (RuntimeException e) {
                    LOG.debug("closing the consumer of {}", clientId, e);
                }
            }
        }

        /** A consumer fetching {@link #batchSize} records at most (a new one when the pool-version was resized). */
        private ShareConsumer<byte[], byte[]> consumer() {
            int wanted = batchSize;
            if (consumer != null && consumerBatch != wanted) {
                closeConsumer(Duration.ofSeconds(5));
            }
            if (consumer == null) {
                Properties p = kafka.clientProperties();
                p.put(ConsumerConfig.GROUP_ID_CONFIG, TopicNames.shareGroup(pool.name(), pool.version()));
                p.put(ConsumerConfig.CLIENT_ID_CONFIG, "katamari-" + clientId);
                p.put(ConsumerConfig.SHARE_ACKNOWLEDGEMENT_MODE_CONFIG, "explicit");
                // the broker hands out no more than this per fetch: an agent never holds more than its instances can start
                p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, String.valueOf(wanted));
                p.put(ConsumerConfig.SHARE_ACQUIRE_MODE_CONFIG, "record_limit");
                consumer = consumers.create(p);
                consumer.subscribe(List.of(TopicNames.requests(pool.name(), pool.version())));
                consumerBatch = wanted;
                wakeable = consumer;
            }
            return consumer;
        }

        /**
         * Acknowledges each record of the batch ({@link #unfinished}) as its slot finishes it, renews the locks of
         * those still waiting or running every half lock period, and on stop gives back those no slot has started.
         */
        private void runBatch(long lockSince) throws InterruptedException {
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
                    // a record of a batch given up in recover() is not in unfinished: nobody acknowledges it
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
                    renew(renewEveryNs);
                    lockSince = System.nanoTime();
                }
            }
        }

        /**
         * Renews the locks of {@link #unfinished}. A renewed record leaves the consumer's hands until a later poll
         * returns it (KIP-1222; that poll may also bring new records, which join the batch), and only then can it
         * be acknowledged. A record the broker did not give back has lost its lock: it is dropped from the batch and
         * never acknowledged here (its answer is still sent; the broker redelivers it).
         *
         * <p>The renewals are committed with {@code commitSync}, then one poll takes back what was renewed. Never
         * two polls: each partition's renewal completes on its own (one per partition leader), a poll hands back the
         * records renewed so far, and a second poll before those are acknowledged again throws "All records must be
         * acknowledged in explicit acknowledgement mode". With one broker every renewal completed at once; with
         * partitions led by several brokers, a renewal slowed by a broker's death (or by the share-state writes that
         * fail meanwhile) came back after the others, and that second poll killed the feeder (issue 14).
         * {@code commitSync} returns once every renewal has completed, together.
         */
        private void renew(long renewEveryNs) {
            Map<String, Work> awaiting = new HashMap<>();
            for (Work u : unfinished) {
                consumer.acknowledge(u.record, AcknowledgeType.RENEW);
                awaiting.put(key(u.record), u);
            }
            wakeable = null; // a stop must not cut the renewal short: what is not back in time is lost
            try {
                consumer.commitSync(Duration.ofNanos(renewEveryNs));
            } catch (TimeoutException | WakeupException e) {
                // what has not been renewed by now counts as lost; a renewal that lands later comes back through a
                // later poll like a new delivery (it may then run twice; the gateway answers its id once)
                LOG.debug("renewing {} locks of {} did not complete: {}", awaiting.size(), pool.key(), e.toString());
            } finally {
                wakeable = consumer;
            }
            ConsumerRecords<byte[], byte[]> back;
            try {
                back = consumer.poll(Duration.ofMillis(100));
            } catch (WakeupException e) {
                back = consumer.poll(Duration.ZERO); // a stop: take back what was renewed; the batch loop then gives back what is waiting
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
