package katamari.worker.intake;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import katamari.config.KafkaSettings;
import katamari.config.PoolDefinition;
import katamari.worker.supervisor.Instance;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.clients.consumer.ShareConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Feeds one pool-version's instances on this agent from its share group.
 *
 * <p>Why not one consumer per instance: a share consumer in explicit mode must acknowledge every record of a poll
 * before it polls again, so one per instance paid a broker round trip (and a persisted acknowledgement) per request:
 * 813 echo requests/s at concurrency 32 against 11,110 for one consumer fetching batches (docs/benchmarks.md).
 *
 * <p>So {@link Feeder}s, each with its own share consumer, fetch up to as many records as the agent has instances
 * of the pool-version (times the pool's {@code prefetch}, 1 by default) and hand them to idle slots here; while one
 * feeder's batch runs, another may fetch the next ({@link FetchTurns} says which). A feeder fetches only when nothing
 * fetched still waits for a slot, so an agent holds at most one batch of records no instance has started: everything
 * else waits in Kafka, where any free instance on any agent can take it.
 *
 * <p>One lock guards the hand-off, records waiting, slots alive and turns; each signal wakes only a thread with something to do.
 */
public final class PoolIntake {
    /** Feeder restarts back off from 100 ms up to this: a broker outage is retried at least this often. */
    static final Duration MAX_RESTART_BACKOFF = Duration.ofSeconds(5);
    private static final Duration HEALTHY_AFTER = Duration.ofSeconds(30);

    /** Makes a feeder's share consumer from its settings: the seam the restart logic is tested through. */
    interface ShareConsumers {
        ShareConsumer<byte[], byte[]> create(Properties settings);
    }

    private enum State { NEW, STARTED, STOPPED }

    private final AtomicReference<State> state = new AtomicReference<>(State.NEW);
    final PoolDefinition pool;
    final KafkaSettings kafka;
    final ShareConsumers consumers;
    final Duration healthyAfter;
    private final String name;
    private final Feeders feeders = new Feeders();
    volatile int batchSize;
    volatile int instances;
    /** When some feeder's poll last returned without failing (System.nanoTime). */
    volatile long lastGoodPoll = System.nanoTime();

    private final ReentrantLock lock = new ReentrantLock();
    /** Idle slots ({@link #next}) wait here for a record. */
    private final Condition recordWaiting = lock.newCondition();
    /** The feeders taking turns wait here for their turn to fetch ({@link #mayFetch}); a further one on its own {@code wake}. */
    private final Condition fetchAllowed = lock.newCondition();
    /** Pipelining slots in {@link #nextAhead}, each on its own condition: woken for a record or its running call's end. */
    private final Set<Condition> aheadWaiters = new HashSet<>();
    // guarded by lock:
    private final ArrayDeque<Work> waiting = new ArrayDeque<>();
    /** Slots waiting in {@link #next} (idle, instance alive), and records started and not yet completed. */
    private int idleSlots;
    private int busySlots;
    private final FetchTurns turns = new FetchTurns(feeders.all());

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
        if (!state.compareAndSet(State.NEW, State.STARTED)) {
            throw new IllegalStateException("intake " + name + " cannot be started more than once (state " + state.get() + ")");
        }
        addFeeders();
    }

    /** One feeder per instance, at least the two taking turns; a shrink leaves the surplus idle (they fetch only for an idle slot). */
    private void addFeeders() {
        feeders.growTo(Math.max(FetchTurns.TAKING_TURNS, instances), rank -> new Feeder(this, name + "-feed" + rank, rank, lock.newCondition()));
    }

    /** The agent now runs {@code instances} of the pool-version: fetch batches of that size (feeders pick it up between batches). */
    public void resize(int instances) {
        this.instances = instances;
        // a pipelining instance holds two records (running, written ahead): a batch is done only when its last is
        int perInstance = pool.prefetchPerInstance() * (pool.pipelines() ? Instance.MAX_CALLS_IN_FLIGHT : 1);
        batchSize = Math.max(1, instances) * perInstance;
        if (state.get() == State.STARTED) {
            addFeeders();
        }
    }

    /** For a slot whose instance is alive and idle: the next record to run, or null if none came within {@code timeout} or the intake stopped. */
    Work next(Duration timeout, Siblings mine) throws InterruptedException {
        lock.lock();
        try {
            if (++idleSlots + busySlots == 1 || (waiting.isEmpty() && turns.starved())) {
                // the first live slot, or one the feeders taking turns cannot serve: a feeder may fetch now (waking
                // them for every take costs context switches)
                turns.wake(fetchAllowed);
            }
            long nanos = timeout.toNanos();
            while (true) {
                Work w = open() ? claimNext(mine) : null; // stopped: what waits goes back to the broker
                if (w != null || nanos <= 0) {
                    return w;
                }
                nanos = recordWaiting.awaitNanos(nanos);
            }
        } finally {
            idleSlots--;
            lock.unlock();
        }
    }

    /**
     * For a slot whose instance has just answered: a record already waiting here, or null at once (the slot then
     * waits in {@link #next}). Lets the instance's stdout reader begin the next call without waking the slot's thread.
     */
    Work poll(Siblings mine) {
        lock.lock(); // no lambda on the hot path (the stdout reader calls this once per request)
        try {
            return open() ? claimNext(mine) : null;
        } finally {
            lock.unlock();
        }
    }

    /**
     * For a pipelining slot whose instance is running a record: the next record to write ahead, or null when
     * {@code running} completes first, the intake stops, or {@code untilNanos} passes. A record goes to an idle slot
     * first: this takes one only while no slot waits in {@link #next}.
     */
    Work nextAhead(CompletableFuture<?> running, long untilNanos, Siblings slot) {
        Condition mine = lock.newCondition();
        lock.lock();
        try {
            aheadWaiters.add(mine);
            running.whenComplete((r, e) -> locked(mine::signal));
            while (!running.isDone() && open()) {
                Work w = idleSlots == 0 ? claimNext(slot) : null;
                long left = untilNanos - System.nanoTime();
                if (w != null || left <= 0 || Thread.currentThread().isInterrupted()) {
                    return w;
                }
                mine.awaitNanos(left);
            }
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } finally {
            aheadWaiters.remove(mine);
            lock.unlock();
        }
    }

    /**
     * Lock held: starts the first waiting record the calling slot may run, skipping those their feeder withdrew and
     * copies of a majority request whose sibling ran on this slot ({@link Siblings}).
     */
    private Work claimNext(Siblings mine) {
        for (java.util.Iterator<Work> it = waiting.iterator(); it.hasNext(); ) {
            Work w = it.next();
            if (!mine.mayClaim(w, instances)) {
                continue; // it waits for another slot
            }
            it.remove();
            if (w.start()) {
                busySlots++;
                if (waiting.isEmpty()) {
                    turns.wake(fetchAllowed); // the last waiting record is taken: a feeder may fetch the next batch
                }
                if (mine.keep(w)) {
                    return w;
                }
            }
        }
        return null;
    }

    // --- the feeders' side

    /** Lock held: whether {@code f} may fetch: nothing fetched waits for a slot, a slot is alive, and it is {@code f}'s turn ({@link FetchTurns}). */
    private boolean mayFetch(Feeder f) {
        return open() && waiting.isEmpty() && idleSlots + busySlots > 0 && turns.mayFetch(f, idleSlots);
    }

    /** Makes {@code f} the fetching feeder, waiting up to {@code ms} for its turn; false when it is not its turn. */
    boolean awaitFetchTurn(Feeder f, long ms) throws InterruptedException {
        lock.lock();
        try {
            if (!mayFetch(f) && ms > 0) {
                (FetchTurns.takesTurns(f) ? fetchAllowed : f.wake).await(ms, TimeUnit.MILLISECONDS); // see FetchTurns#wake
            }
            if (!mayFetch(f)) {
                return false;
            }
            turns.begin(f);
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** {@code f}'s poll brought {@code batch} (empty: then it owes the next poll; f null: records that came with renewals). */
    void fetched(Feeder f, Collection<Work> batch) {
        locked(() -> {
            turns.fetched(f, batch.size());
            waiting.addAll(batch);
            offered(batch.size());
        });
    }

    /** Lock held: {@code count} records were added; wake as many idle slots, and every slot waiting to write one ahead. */
    private void offered(int count) {
        for (int i = Math.min(count, idleSlots); i > 0; i--) {
            recordWaiting.signal();
        }
        aheadWaiters.forEach(Condition::signal);
    }

    /** {@code f}'s fetch is over, however it ended: another feeder may fetch. */
    void fetchEnded(Feeder f) {
        locked(() -> {
            turns.ended(f);
            turns.wake(fetchAllowed);
        });
    }

    /** {@code f}'s batch is over (every record acknowledged or given up): past the two taking turns, another may fetch. */
    void batchOver(Feeder f) {
        locked(() -> {
            if (turns.batchOver(f)) {
                turns.wake(fetchAllowed);
            }
        });
    }

    /** What {@code f} withdrew (stopping, locks lost, or it failed: then it owes no poll any more) no longer waits for a slot. */
    void withdrawn(Feeder f, Collection<Work> records, boolean failed) {
        locked(() -> {
            waiting.removeAll(records);
            turns.withdrew(f, failed);
            turns.wake(fetchAllowed);
        });
    }

    /** A slot is done with a record; {@code wake} (the feeder's condition) is signalled when {@code feederNeedsIt}. */
    void completed(Condition wake, boolean feederNeedsIt) {
        lock.lock(); // no lambda on the hot path (once per request)
        try {
            busySlots--;
            if (feederNeedsIt) {
                wake.signal();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Waits on a feeder's {@code wake} for up to {@code nanos} unless {@code ready} already holds (checked under the lock). */
    void await(Condition wake, long nanos, BooleanSupplier ready) throws InterruptedException {
        lock.lock();
        try {
            if (!ready.getAsBoolean()) {
                wake.awaitNanos(nanos);
            }
        } finally {
            lock.unlock();
        }
    }

    /** True while some slot is alive to run what a feeder fetches. */
    boolean slotsAlive() {
        lock.lock();
        try {
            return idleSlots + busySlots > 0;
        } finally {
            lock.unlock();
        }
    }

    private void locked(Runnable body) {
        lock.lock();
        try {
            body.run();
        } finally {
            lock.unlock();
        }
    }

    boolean open() {
        return state.get() != State.STOPPED;
    }

    /** Stops fetching; records no slot has started go back to the broker, running ones are acknowledged when done. */
    public void stop() {
        if (state.getAndSet(State.STOPPED) == State.STOPPED) {
            return;
        }
        locked(() -> {
            recordWaiting.signalAll();
            fetchAllowed.signalAll();
            aheadWaiters.forEach(Condition::signal);
            feeders.all().forEach(f -> f.wake.signalAll());
        });
        feeders.all().forEach(Feeder::wakeup);
    }

    /** Why this intake cannot feed its instances right now (see {@link Feeders#trouble}), empty while it can. */
    public Optional<String> trouble() {
        return feeders.trouble();
    }

    /** How many times this intake's feeders were restarted after a failure. */
    public int restarts() {
        return feeders.restarts();
    }

    public boolean isStopped() {
        return feeders.isStopped();
    }

    public boolean awaitStopped(Duration timeout) throws InterruptedException {
        return feeders.awaitStopped(timeout);
    }
}
