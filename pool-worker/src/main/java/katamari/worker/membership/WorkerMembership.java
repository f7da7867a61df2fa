package katamari.worker.membership;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.LifecycleEvent;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import katamari.cluster.ClusterMaps;
import katamari.cluster.ClusterMetadata;
import katamari.cluster.MapMirror;
import katamari.cluster.MetadataJson;
import katamari.cluster.Placement;
import katamari.cluster.PoolVersion;
import katamari.cluster.ResponseCache;
import katamari.cluster.WorkerBeat;
import katamari.config.ClusterSettings;
import katamari.config.PoolDefinition;
import katamari.worker.InstanceStatus;
import katamari.worker.WorkerAgent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A worker agent's place in the cluster: it heartbeats (capacity, instances and their states) into
 * {@value ClusterMaps#WORKERS}, and whenever the master changes its placement, or a placed pool-version's
 * definition changes, it makes the agent run exactly that ({@link WorkerAgent#reconcile}). Nothing here is on the
 * data path: heartbeats and reconciles run on their own thread, and a lost connection to the cluster only delays
 * them (the Hazelcast client reconnects by itself, and the copies are resynchronised when it does).
 *
 * <p>A worker the master evicted (silent past the TTL) gets an empty placement and stops its instances; its next
 * heartbeat registers it again and the master places work on it: a box that comes back needs no command.
 */
public final class WorkerMembership implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(WorkerMembership.class);
    private static final Duration RESYNC = Duration.ofSeconds(5);

    private enum State { NEW, STARTED, CLOSED }

    private final AtomicReference<State> state = new AtomicReference<>(State.NEW);
    private final WorkerAgent agent;
    private final HazelcastInstance hz;
    private final ClusterMetadata metadata;
    private final ClusterSettings settings;
    private final String host = hostName();
    private final ScheduledExecutorService work;
    private final AtomicBoolean reconcilePending = new AtomicBoolean();
    private final CompletableFuture<Void> firstPlacement = new CompletableFuture<>();
    private MapMirror<PoolVersion> pools;
    private MapMirror<Placement> placements;
    /** Only touched on the work thread. */
    private List<PoolDefinition> applied;

    /** @param agent a started agent (see {@link WorkerAgent#startEmpty()}); this membership does not close it */
    public WorkerMembership(WorkerAgent agent, HazelcastInstance hz, ClusterSettings settings) {
        this.agent = agent;
        this.hz = hz;
        this.metadata = new ClusterMetadata(hz);
        this.settings = settings;
        this.work = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "membership-" + agent.id());
            t.setDaemon(true);
            return t;
        });
    }

    public void start() {
        if (!state.compareAndSet(State.NEW, State.STARTED)) {
            throw new IllegalStateException("membership cannot be started more than once (state " + state.get() + ")");
        }
        pools = metadata.pools(key -> requestReconcile());
        agent.storeAnswers(new ResponseCache(hz)::store);
        // nested calls go where the masters' pool set says, to the version with the most traffic weight
        agent.routeNestedCalls(pool -> pools.snapshot().values().stream()
                .filter(v -> !v.deleted() && v.definition().name().equals(pool))
                .max(java.util.Comparator.comparingInt(PoolVersion::weight))
                .map(v -> v.definition().version()));
        placements = metadata.placements(key -> {
            if (key == null || key.equals(agent.id())) {
                requestReconcile();
            }
        });
        hz.getLifecycleService().addLifecycleListener(e -> {
            if (e.getState() == LifecycleEvent.LifecycleState.CLIENT_CONNECTED) {
                work.execute(this::resync); // events may have been missed while disconnected
            }
        });
        long beatMs = settings.workerHeartbeat().toMillis();
        work.scheduleWithFixedDelay(this::beat, 0, beatMs, TimeUnit.MILLISECONDS);
        work.scheduleWithFixedDelay(this::resync, RESYNC.toMillis(), RESYNC.toMillis(), TimeUnit.MILLISECONDS);
        requestReconcile();
        LOG.info("worker {} registered with cluster {} (capacity {})", agent.id(), settings.name(), settings.workerCapacity());
    }

    /** True once the master's first placement for this worker has been applied (whatever it holds). */
    public boolean awaitFirstPlacement(Duration timeout) {
        try {
            firstPlacement.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    private void resync() {
        pools.resync();
        placements.resync();
        requestReconcile();
    }

    private void requestReconcile() {
        if (state.get() != State.STARTED) {
            return; // a placement that arrives while the agent stops changes nothing
        }
        if (reconcilePending.compareAndSet(false, true)) {
            try {
                work.execute(() -> {
                    reconcilePending.set(false);
                    reconcile();
                });
            } catch (java.util.concurrent.RejectedExecutionException e) {
                LOG.debug("not reconciling: the agent is stopping");
            }
        }
    }

    private void reconcile() {
        if (state.get() != State.STARTED) {
            return;
        }
        Placement placement = placements.get(agent.id());
        if (placement == null) {
            return; // no news: not placed yet (the master sends an empty placement to stop everything)
        }
        List<PoolDefinition> wanted = new ArrayList<>();
        Map<String, Integer> instances = placement.instances();
        instances.forEach((key, count) -> {
            PoolVersion v = pools.get(key);
            if (v == null) {
                LOG.debug("worker {}: placed on {} whose definition has not arrived yet", agent.id(), key);
            } else {
                wanted.add(withInstances(v.definition(), count));
            }
        });
        if (!wanted.equals(applied)) {
            LOG.info("worker {} reconciles to {}", agent.id(), instances);
            try {
                agent.reconcile(wanted);
                applied = wanted;
            } catch (RuntimeException e) {
                LOG.error("worker {} could not apply its placement", agent.id(), e);
                return;
            }
            beat();
        }
        firstPlacement.complete(null);
    }

    private void beat() {
        if (state.get() != State.STARTED) {
            return;
        }
        try {
            List<WorkerBeat.Instance> instances = agent.status().stream().map(WorkerMembership::instance).toList();
            WorkerBeat beat = new WorkerBeat(agent.id(), host, settings.workerCapacity(), System.currentTimeMillis(), instances, agent.refused(),
                    agent.unhealthy());
            metadata.putWorker(beat);
        } catch (RuntimeException e) {
            LOG.debug("worker {} heartbeat failed (will retry): {}", agent.id(), e.toString());
        }
    }

    private static WorkerBeat.Instance instance(InstanceStatus s) {
        return new WorkerBeat.Instance(s.instance(), s.pool(), s.version(), s.state().name(), s.pid(), s.restarts(), s.degraded(), s.rssKb());
    }

    /** A copy of {@code d} with another instance count (through JSON, so new fields of the definition carry over). */
    static PoolDefinition withInstances(PoolDefinition d, int count) {
        ObjectNode n = MetadataJson.mapper().valueToTree(d);
        n.put("instances", count);
        try {
            return MetadataJson.mapper().treeToValue(n, PoolDefinition.class);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("cannot copy pool definition " + d.key(), e);
        }
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName() + "/" + ProcessHandle.current().pid();
        } catch (Exception e) {
            return "pid " + ProcessHandle.current().pid();
        }
    }

    /** Leaves the cluster: the worker's entry goes at once, so the master re-places its share without waiting for the TTL. */
    @Override
    public void close() {
        if (state.getAndSet(State.CLOSED) != State.STARTED) {
            return;
        }
        work.shutdownNow();
        try {
            metadata.removeWorker(agent.id());
        } catch (RuntimeException e) {
            LOG.debug("worker {} could not remove its entry: {}", agent.id(), e.toString());
        }
        pools.close();
        placements.close();
    }
}
