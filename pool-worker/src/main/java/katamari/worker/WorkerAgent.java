package katamari.worker;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import katamari.config.KatamariConfig;
import katamari.config.PoolDefinition;
import katamari.client.KatamariClient;
import katamari.topics.TopicNames;
import katamari.worker.cancel.CancelWatch;
import katamari.worker.cancel.Cancels;
import katamari.worker.intake.AnswerStore;
import katamari.worker.intake.InstanceSlot;
import katamari.worker.intake.NestedCallClient;
import katamari.worker.intake.PoolIntake;
import java.util.Optional;
import java.util.function.Function;
import katamari.worker.reply.ReplySender;
import katamari.worker.supervisor.CommandPolicy;
import katamari.worker.supervisor.OrphanGuard;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker agent: runs instances of pool-versions and feeds them from Kafka.
 *
 * <p>What runs is decided by {@link #reconcile}: the configured pools at {@link #start()}, later the master's
 * placement. Lifecycle: NEW → {@link #start()} → STARTED → {@link #close()} → CLOSED; close is idempotent and
 * drains: slots stop taking records, finish the one in hand, and stop their instances gracefully. It follows the
 * cancel topic ({@link CancelWatch}) for all its pool-versions at once.
 */
public final class WorkerAgent implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(WorkerAgent.class);
    private static final Duration DRAIN_LIMIT = Duration.ofSeconds(60);

    private enum State { NEW, STARTED, CLOSED }

    private final AtomicReference<State> state = new AtomicReference<>(State.NEW);
    private final KatamariConfig config;
    private final String workerId;
    private final CommandPolicy policy;
    /** Slots by pool-version key; guarded by {@code this}. */
    private final Map<String, List<InstanceSlot>> slots = new LinkedHashMap<>();
    private final Map<String, PoolDefinition> running = new LinkedHashMap<>();
    private final Map<String, String> refused = new LinkedHashMap<>();
    /** The intake feeding each pool-version's slots; guarded by {@code this}. */
    private final Map<String, PoolIntake> intakes = new LinkedHashMap<>();
    private final List<InstanceSlot> retiring = new ArrayList<>();
    private final List<PoolIntake> retiringIntakes = new ArrayList<>();
    private final Cancels cancels = new Cancels();
    private CancelWatch cancelWatch;
    private ReplySender replies;
    private KatamariClient nestedClient;
    private NestedCallClient nested;
    private volatile Function<String, Optional<String>> nestedRoutes;
    private volatile AnswerStore answers = AnswerStore.NONE;
    private OrphanGuard orphans;
    private ScheduledExecutorService watch;
    private int nextIndex;

    /** With the configured {@code worker.id}, or a random one for this start when none is configured. */
    public WorkerAgent(KatamariConfig config) {
        this(config, config.worker().id() != null ? config.worker().id() : "w" + UUID.randomUUID().toString().substring(0, 6));
    }

    public WorkerAgent(KatamariConfig config, String workerId) {
        this.config = config;
        this.workerId = workerId;
        this.policy = new CommandPolicy(config.worker().allowedCommands());
        this.nestedRoutes = pool -> config.pools().stream().filter(p -> p.name().equals(pool)).map(PoolDefinition::version).findFirst();
    }

    /**
     * Where nested calls go: which version of a pool (empty: no such pool). Defaults to the first configured
     * version; an agent that follows the masters' pool set routes by it instead.
     */
    public void routeNestedCalls(Function<String, Optional<String>> versionOf) {
        this.nestedRoutes = versionOf;
    }

    /** Where successful answers of cached methods go (the cluster's response cache); by default nowhere. */
    public void storeAnswers(AnswerStore store) {
        this.answers = store;
    }

    public String id() {
        return workerId;
    }

    /** Starts the agent with the configured pools. */
    public void start() {
        startEmpty();
        reconcile(config.pools());
    }

    /** Starts the agent with nothing to run; a placement arrives through {@link #reconcile}. */
    public void startEmpty() {
        if (!state.compareAndSet(State.NEW, State.STARTED)) {
            throw new IllegalStateException("worker agent cannot be started more than once (state " + state.get() + ")");
        }
        replies = new ReplySender(config.kafka(), config.worker().replyTimeout());
        cancelWatch = new CancelWatch(config.kafka(), workerId, cancels);
        cancelWatch.start();
        nestedClient = new KatamariClient(config.kafka(), TopicNames.replies(workerId));
        nestedClient.start();
        nested = new NestedCallClient(nestedClient, pool -> nestedRoutes.apply(pool));
        orphans = new OrphanGuard();
        watch = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "instance-watch-" + workerId);
            t.setDaemon(true);
            return t;
        });
        long every = config.worker().memoryCheck().toMillis();
        watch.scheduleWithFixedDelay(() -> slotsNow().forEach(InstanceSlot::checkMemory), every, every, TimeUnit.MILLISECONDS);
    }

    private synchronized List<InstanceSlot> slotsNow() {
        return slots.values().stream().flatMap(List::stream).toList();
    }

    /**
     * Makes the agent run exactly {@code wanted}: {@code instances()} of each pool-version. Extra instances are
     * drained (they finish the record in hand), missing ones started; a pool-version whose definition changed is
     * replaced. A command outside the allow-list is refused and reported in {@link #status()}, never run.
     */
    public synchronized void reconcile(Collection<PoolDefinition> wanted) {
        if (state.get() != State.STARTED) {
            throw new IllegalStateException("worker agent is " + state.get() + "; reconcile needs a started agent");
        }
        Map<String, PoolDefinition> byKey = new LinkedHashMap<>();
        wanted.forEach(p -> byKey.put(p.key(), p));
        for (String key : List.copyOf(slots.keySet())) {
            PoolDefinition now = byKey.get(key);
            if (now == null || !sameExceptCount(now, running.get(key))) {
                resize(key, 0);
                slots.remove(key);
                running.remove(key);
                PoolIntake intake = intakes.remove(key);
                intake.stop();
                retiringIntakes.add(intake);
            }
        }
        refused.clear();
        // a cancel is remembered as long as a request of these pool-versions may wait (Cancels.rememberFor)
        cancels.rememberFor(byKey.values().stream().map(PoolDefinition::timeout).max(Duration::compareTo).orElse(Duration.ZERO));
        for (PoolDefinition pool : byKey.values()) {
            String why = policy.refusal(pool.command());
            if (why != null) {
                refused.put(pool.key(), why);
                LOG.error("worker {} refuses to run {}: {}", workerId, pool.key(), why);
                continue;
            }
            running.put(pool.key(), pool);
            slots.computeIfAbsent(pool.key(), k -> new ArrayList<>());
            intakes.computeIfAbsent(pool.key(), k -> {
                PoolIntake intake = new PoolIntake(pool, config.kafka(), workerId, pool.instances());
                intake.start();
                return intake;
            }).resize(pool.instances());
            resize(pool.key(), pool.instances());
        }
        retiring.removeIf(s -> s.status().state() == InstanceStatus.State.STOPPED);
        retiringIntakes.removeIf(PoolIntake::isStopped);
    }

    private static boolean sameExceptCount(PoolDefinition a, PoolDefinition b) {
        return b != null && a.command().equals(b.command()) && a.timeout().equals(b.timeout()) && a.attempts() == b.attempts()
                && a.env().equals(b.env()) && a.inheritEnv().equals(b.inheritEnv())
                && java.util.Objects.equals(a.maxRssMb(), b.maxRssMb()) && java.util.Objects.equals(a.maxRequests(), b.maxRequests())
                && a.prefetchPerInstance() == b.prefetchPerInstance() && a.pipelines() == b.pipelines()
                && a.cache().equals(b.cache()) && a.cacheBound() == b.cacheBound() && a.cancelsRunning() == b.cancelsRunning();
    }

    private void resize(String key, int count) {
        List<InstanceSlot> list = slots.get(key);
        while (list.size() > count) {
            InstanceSlot slot = list.remove(list.size() - 1);
            slot.stop();
            retiring.add(slot);
        }
        PoolDefinition pool = running.get(key);
        while (list.size() < count) {
            String instanceId = workerId + "-" + pool.name() + "-" + pool.version() + "-" + nextIndex++;
            InstanceSlot slot = new InstanceSlot(pool, config.worker(), intakes.get(key), instanceId, replies, cancels, orphans, nested,
                    (p, method, args, result) -> answers.store(p, method, args, result));
            list.add(slot);
            Thread t = new Thread(slot, "slot-" + instanceId);
            t.setDaemon(true);
            t.start();
        }
    }

    /**
     * Every slot's state: those of the placement, and those still draining after a placement change (as STOPPING,
     * until they have stopped; stopped ones are left out).
     */
    public synchronized List<InstanceStatus> status() {
        List<InstanceStatus> out = new ArrayList<>();
        slots.values().forEach(list -> list.forEach(s -> out.add(s.status())));
        retiring.removeIf(s -> s.status().state() == InstanceStatus.State.STOPPED);
        retiring.forEach(s -> out.add(s.status()));
        return out;
    }

    /**
     * Pool-versions this agent cannot feed right now, with why: an intake's feeder is down or failing repeatedly
     * (see {@link PoolIntake#trouble}). Empty while the agent is healthy.
     */
    public synchronized Map<String, String> unhealthy() {
        Map<String, String> out = new LinkedHashMap<>();
        intakes.forEach((key, intake) -> intake.trouble().ifPresent(why -> out.put(key, why)));
        return out;
    }

    /** Feeder restarts after failures, per pool-version run now. */
    public synchronized Map<String, Integer> intakeRestarts() {
        Map<String, Integer> out = new LinkedHashMap<>();
        intakes.forEach((key, intake) -> out.put(key, intake.restarts()));
        return out;
    }

    /** Records a cancel took effect on, per pool-version key and stage (not started, or running), since the agent started. */
    public Map<String, Map<Cancels.Stage, Long>> cancelled() {
        return cancels.counts();
    }

    /** Cancel records this agent has read, for any request (here or elsewhere). */
    public long cancelsHeard() {
        return cancels.heard();
    }

    /** Pool-versions this agent refused to run, with the reason. */
    public synchronized Map<String, String> refused() {
        return Map.copyOf(refused);
    }

    /**
     * Waits until every current slot's first instance said hello and the agent hears every cancel from now on; false
     * on timeout or if any failed to launch.
     */
    public boolean awaitInstances(Duration timeout) {
        List<CompletableFuture<Void>> launches;
        synchronized (this) {
            launches = slots.values().stream().flatMap(List::stream).map(InstanceSlot::firstLaunch).toList();
        }
        long until = System.nanoTime() + timeout.toNanos();
        try {
            CompletableFuture.allOf(launches.toArray(CompletableFuture[]::new)).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return cancelWatch.awaitReady(Duration.ofNanos(Math.max(0, until - System.nanoTime())));
        } catch (Exception e) {
            return false;
        }
    }

    private interface Drainable {
        boolean awaitStopped(Duration timeout) throws InterruptedException;
    }

    /** Waits for each part until {@code until} (a shared deadline); false when interrupted. */
    private boolean awaitDrained(String what, List<Drainable> parts, long until) {
        for (Drainable part : parts) {
            try {
                if (!part.awaitStopped(Duration.ofNanos(Math.max(0, until - System.nanoTime())))) {
                    LOG.warn("worker {}: {} did not drain within {} s", workerId, what, DRAIN_LIMIT.toSeconds());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }

    /** Drains: stops taking records, lets each slot finish the record in hand, stops instances gracefully. */
    @Override
    public void close() {
        if (state.getAndSet(State.CLOSED) != State.STARTED) {
            return;
        }
        List<InstanceSlot> all;
        List<PoolIntake> feeding;
        synchronized (this) {
            all = new ArrayList<>(retiring);
            slots.values().forEach(all::addAll);
            feeding = new ArrayList<>(retiringIntakes);
            feeding.addAll(intakes.values());
        }
        // intakes first: records no slot has started go back to the broker at once; slots finish the one in hand
        feeding.forEach(PoolIntake::stop);
        all.forEach(InstanceSlot::stop);
        long until = System.nanoTime() + DRAIN_LIMIT.toNanos();
        if (awaitDrained("an intake", feeding.stream().<Drainable>map(i -> i::awaitStopped).toList(), until)) {
            awaitDrained("a slot", all.stream().<Drainable>map(slot -> slot::awaitStopped).toList(), until);
        }
        // a start that failed half-way (its reply topic could not be made) left the later parts unmade
        if (watch != null) {
            watch.shutdownNow();
        }
        if (cancelWatch != null) {
            cancelWatch.close();
        }
        if (nestedClient != null) {
            nestedClient.close();
        }
        if (replies != null) {
            replies.close();
        }
        if (orphans != null) {
            orphans.close();
        }
        LOG.info("worker {} stopped", workerId);
    }
}
