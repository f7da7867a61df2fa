package katamari.dispatcher;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.replicatedmap.ReplicatedMap;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongFunction;
import katamari.cluster.ClusterMaps;
import katamari.cluster.Drain;
import katamari.cluster.GatewayBeat;
import katamari.cluster.LeaderRecord;
import katamari.cluster.MapMirror;
import katamari.cluster.MetadataJson;
import katamari.cluster.Placement;
import katamari.cluster.PoolVersion;
import katamari.cluster.WorkerBeat;
import katamari.config.KatamariConfig;
import katamari.config.PoolDefinition;
import katamari.dispatcher.election.LeadershipListener;
import katamari.dispatcher.election.Term;
import katamari.dispatcher.metadata.FencedStore;
import katamari.dispatcher.metadata.MetadataJournal;
import katamari.dispatcher.metadata.StaleLeaderException;
import katamari.dispatcher.placement.Placer;
import katamari.dispatcher.provisioning.TopicProvisioner;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the leading dispatcher does, all on one thread: take over (seed pools from the config file on the very first
 * start, re-stamp everything with its fence), then every tick renew the leader record, evict silent workers, place
 * instances, repair metadata it did not write, and clean up the reply topics of gateways long gone. Any refused
 * write means this dispatcher was deposed: it tells the election and stops.
 */
final class Master implements LeadershipListener, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Master.class);
    static final Duration TICK = Duration.ofMillis(500);
    private static final Duration JANITOR_EVERY = Duration.ofSeconds(10);

    private final ScheduledExecutorService duties = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "master-duties"));
    private final ExecutorService kafkaWork = Executors.newSingleThreadExecutor(r -> daemon(r, "master-provisioning"));
    private final KatamariConfig config;
    private final HazelcastInstance hz;
    private final FencedStore store;
    private final MetadataJournal journal;
    private final Dispatcher.PoolSource poolSource;
    private final TopicProvisioner provisioner;
    private final Mirrors mirrors;
    private final String self;
    private final String adminUrl;
    private final InstantSource clock;
    /** Only touched on the duties thread. */
    private final Map<String, PoolVersion> catalog = new TreeMap<>();
    private final Set<String> provisioned = ConcurrentHashMap.newKeySet();
    private final Set<String> provisioning = ConcurrentHashMap.newKeySet();
    private volatile Term term;
    private volatile Map<String, Integer> unplaced = Map.of();
    private ScheduledFuture<?> ticking;
    private long lastJanitorNanos;

    Master(KatamariConfig config, HazelcastInstance hz, FencedStore store, MetadataJournal journal, Dispatcher.PoolSource poolSource,
           TopicProvisioner provisioner, Mirrors mirrors, String adminUrl, InstantSource clock) {
        this.clock = clock;
        this.config = config;
        this.journal = journal;
        this.poolSource = poolSource;
        this.hz = hz;
        this.store = store;
        this.provisioner = provisioner;
        this.mirrors = mirrors;
        this.self = config.cluster().self();
        this.adminUrl = adminUrl;
    }

    boolean leading() {
        return term != null;
    }

    Map<String, Integer> unplaced() {
        return unplaced;
    }

    /** Something placement depends on changed: place now rather than at the next tick. */
    void nudge() {
        if (term != null) {
            duties.execute(() -> {
                Term t = term;
                if (t != null) {
                    try {
                        place(t);
                    } catch (StaleLeaderException e) {
                        t.resign(e.getMessage());
                    } catch (RuntimeException e) {
                        LOG.warn("placement failed: {}", e.toString());
                    }
                }
            });
        }
    }

    @Override
    public void isLeader(Term t) {
        duties.execute(() -> takeover(t));
    }

    /** Ends the term with {@code fence} only: a late notice of an earlier term must not end the one that followed. */
    @Override
    public void notLeader(long fence, String why) {
        duties.execute(() -> {
            Term t = term;
            if (t == null || t.fence() != fence) {
                return;
            }
            if (ticking != null) {
                ticking.cancel(false);
            }
            term = null;
            catalog.clear();
            provisioned.clear();
        });
    }

    /** Runs a master-only action on the duties thread with the current fence. */
    <T> T call(LongFunction<T> action) {
        Future<T> f = duties.submit(() -> {
            Term t = term;
            if (t == null) {
                throw new NotLeaderException(self + " is not the master");
            }
            try {
                return action.apply(t.fence());
            } catch (StaleLeaderException e) {
                t.resign(e.getMessage());
                throw new NotLeaderException(e.getMessage());
            }
        });
        try {
            return f.get(15, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(e.getCause());
        } catch (TimeoutException e) {
            f.cancel(true);
            throw new IllegalStateException("the master did not complete the change within 15 s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** Creates or replaces a pool-version; its topics exist before any gateway can route to it. */
    PoolVersion upsert(PoolVersion requested) {
        provisioner.provision(List.of(requested.definition()));
        return call(fence -> {
            PoolVersion stamped = requested.withFence(fence);
            store.put(fence, ClusterMaps.POOLS, stamped.key(), stamped);
            catalog.put(stamped.key(), stamped);
            provisioned.add(stamped.key());
            LOG.info("pool {} stored (instances {}, weight {}, fence {})", stamped.key(), stamped.definition().instances(), stamped.weight(), fence);
            place(term);
            return stamped;
        });
    }

    /**
     * Sets the weights of the named versions of {@code pool}; nothing is written unless every named version exists.
     *
     * @return the pool's versions after the change
     * @throws IllegalArgumentException naming the versions that do not exist
     */
    List<PoolVersion> setWeights(String pool, Map<String, Integer> weights) {
        return call(fence -> {
            List<String> missing = weights.keySet().stream().filter(v -> !catalog.containsKey(pool + "/" + v)).sorted().toList();
            if (!missing.isEmpty()) {
                throw new IllegalArgumentException("pool '" + pool + "' has no version(s) " + missing);
            }
            // one key at a time, so versions that gain weight first: moving all traffic from v1 to v2 must never
            // show gateways a moment where every weight is 0 (they would answer pool_not_found in between)
            List<Map.Entry<String, Integer>> order = new ArrayList<>(weights.entrySet());
            order.sort((a, b) -> Boolean.compare(a.getValue() == 0, b.getValue() == 0));
            for (Map.Entry<String, Integer> w : order) {
                PoolVersion now = catalog.get(pool + "/" + w.getKey());
                if (now.weight() != w.getValue()) {
                    PoolVersion next = new PoolVersion(now.definition(), w.getValue(), fence);
                    store.put(fence, ClusterMaps.POOLS, next.key(), next);
                    catalog.put(next.key(), next);
                }
            }
            List<PoolVersion> out = catalog.values().stream().filter(p -> p.definition().name().equals(pool)).toList();
            LOG.info("weights of pool {} now {}", pool, out.stream().map(p -> p.definition().version() + "=" + p.weight()).toList());
            return out;
        });
    }

    /**
     * Drains a worker (it keeps what is in flight, then runs nothing: its placement becomes empty) or undrains it.
     * Stored as fenced metadata, so a new master keeps the drain.
     */
    Drain drain(String worker, boolean draining) {
        return call(fence -> {
            Drain next = new Drain(worker, draining, fence);
            store.put(fence, ClusterMaps.DRAINS, worker, next);
            LOG.info("worker {} {}", worker, draining ? "drained by the operator: its instances stop" : "undrained: it gets work again");
            place(term);
            return next;
        });
    }

    /** Workers an operator drained. */
    java.util.Set<String> drained() {
        java.util.Set<String> out = new java.util.TreeSet<>();
        decodeAll(ClusterMaps.DRAINS, Drain.class).forEach((id, d) -> {
            if (d.draining()) {
                out.add(id);
            }
        });
        return out;
    }

    /** @return the keys removed (empty if none matched) */
    List<String> delete(String pool, String version) {
        return call(fence -> {
            List<String> gone = new ArrayList<>();
            for (String key : List.copyOf(catalog.keySet())) {
                PoolDefinition d = catalog.get(key).definition();
                if (d.name().equals(pool) && (version == null || d.version().equals(version))) {
                    store.put(fence, ClusterMaps.POOLS, key, catalog.get(key).tombstone(fence));
                    catalog.remove(key);
                    gone.add(key);
                }
            }
            if (!gone.isEmpty()) {
                LOG.info("pool-version(s) {} deleted (fence {})", gone, fence);
                place(term);
            }
            return gone;
        });
    }

    private void takeover(Term t) {
        long fence = t.fence();
        term = t;
        try {
            catalog.clear();
            provisioned.clear();
            ReplicatedMap<String, String> leaderMap = hz.getReplicatedMap(ClusterMaps.LEADER);
            if (!leaderMap.containsKey(ClusterMaps.SEEDED_KEY)) {
                restore(fence);
            } else {
                rawPools().values().stream().filter(p -> !p.deleted()).forEach(p -> catalog.put(p.key(), p.withFence(fence)));
            }
            for (PoolVersion p : catalog.values()) {
                store.put(fence, ClusterMaps.POOLS, p.key(), p);
            }
            store.put(fence, ClusterMaps.LEADER, ClusterMaps.SEEDED_KEY, Map.of("by", self, "fence", fence));
            renew(t);
            provisionMissing();
            place(t);
            ticking = duties.scheduleWithFixedDelay(this::tick, TICK.toMillis(), TICK.toMillis(), TimeUnit.MILLISECONDS);
        } catch (StaleLeaderException e) {
            t.resign(e.getMessage());
        } catch (RuntimeException e) {
            LOG.error("takeover failed; giving up leadership so another dispatcher can try", e);
            t.resign("takeover failed: " + e);
        }
    }

    /**
     * The first master of a fresh master set (every dispatcher had stopped, or the cluster is new): pools, drains and
     * placements come back from the journal, stamped with this master's fence so that workers and gateways that
     * outlived the old master set take them. The config file adds the pool-versions the journal never had (all of
     * them on a brand-new cluster; its weight seeds theirs, and from then on the masters own it); with
     * {@link Dispatcher.PoolSource#CONFIG_FILE} it also wins for those it names.
     */
    private void restore(long fence) {
        MetadataJournal.Snapshot saved = journal.read();
        Map<String, PoolVersion> journaled = decode(saved.map(ClusterMaps.POOLS), ClusterMaps.POOLS, PoolVersion.class);
        journaled.values().stream().filter(p -> !p.deleted()).forEach(p -> catalog.put(p.key(), p.withFence(fence)));
        int fromFile = 0;
        for (PoolDefinition p : config.pools()) {
            if (!journaled.containsKey(p.key()) || poolSource == Dispatcher.PoolSource.CONFIG_FILE) {
                catalog.put(p.key(), new PoolVersion(p.withWeight(null), p.routingWeight(), fence));
                fromFile++;
            }
        }
        decode(saved.map(ClusterMaps.DRAINS), ClusterMaps.DRAINS, Drain.class).forEach((id, d) ->
                store.put(fence, ClusterMaps.DRAINS, id, new Drain(id, d.draining(), fence)));
        decode(saved.map(ClusterMaps.PLACEMENTS), ClusterMaps.PLACEMENTS, Placement.class).forEach((id, p) ->
                store.put(fence, ClusterMaps.PLACEMENTS, id, new Placement(id, p.instances(), fence)));
        LOG.info("first master of this master set: {} pool-version(s) from the metadata journal {} (fence was {}), {} from the config file",
                catalog.size() - fromFile, journal.topic(), saved.fence(), fromFile);
    }

    private void tick() {
        Term t = term;
        if (t == null) {
            return;
        }
        try {
            renew(t);
            provisionMissing();
            evictSilentWorkers(t);
            place(t);
            repairPools(t);
            if (System.nanoTime() - lastJanitorNanos > JANITOR_EVERY.toNanos()) {
                lastJanitorNanos = System.nanoTime();
                forgetGoneGateways(t);
            }
        } catch (StaleLeaderException e) {
            t.resign(e.getMessage());
        } catch (RuntimeException e) {
            LOG.warn("master tick failed: {}", e.toString());
        }
    }

    /** The leader record is also the deposition detector: a deposed master's renewal is the write that is refused. */
    private void renew(Term t) {
        store.put(t.fence(), ClusterMaps.LEADER, ClusterMaps.LEADER_KEY,
                new LeaderRecord(self, adminUrl, t.fence(), t.since().toEpochMilli(), clock.millis()));
    }

    private void provisionMissing() {
        List<PoolDefinition> todo = catalog.values().stream().map(PoolVersion::definition)
                .filter(d -> !provisioned.contains(d.key()) && provisioning.add(d.key())).toList();
        if (todo.isEmpty()) {
            return;
        }
        kafkaWork.execute(() -> {
            try {
                provisioner.provision(todo);
                todo.forEach(d -> provisioned.add(d.key()));
            } catch (RuntimeException e) {
                LOG.warn("provisioning {} failed, will retry: {}", todo.stream().map(PoolDefinition::key).toList(), e.getMessage());
            } finally {
                todo.forEach(d -> provisioning.remove(d.key()));
            }
        });
    }

    /** Workers not heard of for the TTL (counted from this term's start at most: a new master gives everyone a chance). */
    private List<WorkerBeat> liveWorkers(Term t) {
        List<WorkerBeat> live = new ArrayList<>();
        mirrors.workers().snapshot().forEach((id, beat) -> {
            if (silentMillis(mirrors.workers(), id, t) <= config.cluster().workerTtl().toMillis()) {
                live.add(beat);
            }
        });
        return live;
    }

    private long silentMillis(MapMirror<?> mirror, String key, Term t) {
        long heard = mirror.lastHeard(key);
        return Math.min(heard < 0 ? Long.MAX_VALUE : heard, clock.millis() - t.since().toEpochMilli());
    }

    private void evictSilentWorkers(Term t) {
        for (String id : mirrors.workers().snapshot().keySet()) {
            long silent = silentMillis(mirrors.workers(), id, t);
            if (silent > config.cluster().workerTtl().toMillis()) {
                LOG.warn("evicting worker {}: no heartbeat for {} ms (TTL {} ms); its instances go elsewhere",
                        id, silent, config.cluster().workerTtl().toMillis());
                store.remove(t.fence(), ClusterMaps.WORKERS, id);
            }
        }
    }

    private void place(Term t) {
        java.util.Set<String> drained = drained();
        List<Placer.Worker> workers = liveWorkers(t).stream()
                .filter(b -> !drained.contains(b.id())) // a drained worker gets the empty placement of a gone one
                .map(b -> new Placer.Worker(b.id(), b.capacity(), b.refused().keySet())).toList();
        Map<String, Integer> wanted = new TreeMap<>();
        catalog.forEach((key, p) -> wanted.put(key, p.definition().instances()));
        Map<String, Placement> raw = rawPlacements();
        Map<String, Map<String, Integer>> current = new HashMap<>();
        raw.forEach((id, p) -> current.put(id, p.instances()));
        Placer.Result result = Placer.place(workers, wanted, current);
        unplaced = Map.copyOf(result.unplaced());
        for (Map.Entry<String, Map<String, Integer>> e : result.placed().entrySet()) {
            Placement next = new Placement(e.getKey(), e.getValue(), t.fence());
            Placement now = raw.get(e.getKey());
            if (now == null || !now.sameAs(next) || now.fence() != t.fence()) {
                store.put(t.fence(), ClusterMaps.PLACEMENTS, e.getKey(), next);
                if (now == null || !now.sameAs(next)) {
                    LOG.info("placement of worker {}: {}", e.getKey(), next.instances());
                }
            }
        }
        // a worker that is gone gets an empty placement, never a removal: absence means "no news" to a worker
        for (Map.Entry<String, Placement> e : raw.entrySet()) {
            if (!result.placed().containsKey(e.getKey()) && (e.getValue().total() > 0 || e.getValue().fence() != t.fence())) {
                store.put(t.fence(), ClusterMaps.PLACEMENTS, e.getKey(), new Placement(e.getKey(), Map.of(), t.fence()));
            }
        }
    }

    /** Anything in the pool map this master did not write (a late write of a deposed master) is put back. */
    private void repairPools(Term t) {
        Map<String, PoolVersion> raw = rawPools();
        for (PoolVersion p : catalog.values()) {
            if (!p.equals(raw.get(p.key()))) {
                LOG.warn("repairing {} in {}: it did not hold what this master wrote", p.key(), ClusterMaps.POOLS);
                store.put(t.fence(), ClusterMaps.POOLS, p.key(), p);
            }
        }
        for (PoolVersion p : raw.values()) {
            if (!catalog.containsKey(p.key()) && (!p.deleted() || p.fence() != t.fence())) {
                LOG.warn("tombstoning {} in {}: this master did not write it", p.key(), ClusterMaps.POOLS);
                store.put(t.fence(), ClusterMaps.POOLS, p.key(), p.tombstone(t.fence()));
            }
        }
    }

    private void forgetGoneGateways(Term t) {
        long ttl = config.cluster().gatewayTtl().toMillis();
        for (Map.Entry<String, GatewayBeat> e : mirrors.gateways().snapshot().entrySet()) {
            if (silentMillis(mirrors.gateways(), e.getKey(), t) > ttl) {
                String topic = e.getValue().replyTopic();
                store.remove(t.fence(), ClusterMaps.GATEWAYS, e.getKey());
                kafkaWork.execute(() -> {
                    try {
                        provisioner.deleteTopic(topic);
                        LOG.info("gateway {} silent for over {} ms: deleted its reply topic {}", e.getKey(), ttl, topic);
                    } catch (RuntimeException ex) {
                        LOG.warn("cannot delete reply topic {}: {}", topic, ex.getMessage());
                    }
                });
            }
        }
    }

    private Map<String, PoolVersion> rawPools() {
        return decodeAll(ClusterMaps.POOLS, PoolVersion.class);
    }

    private Map<String, Placement> rawPlacements() {
        return decodeAll(ClusterMaps.PLACEMENTS, Placement.class);
    }

    private <T> Map<String, T> decodeAll(String mapName, Class<T> type) {
        ReplicatedMap<String, String> map = hz.getReplicatedMap(mapName);
        return decode(new HashMap<>(map), mapName, type);
    }

    private static <T> Map<String, T> decode(Map<String, String> entries, String mapName, Class<T> type) {
        Map<String, T> out = new TreeMap<>();
        for (Map.Entry<String, String> e : entries.entrySet()) {
            try {
                out.put(e.getKey(), MetadataJson.decode(e.getValue(), type));
            } catch (IllegalArgumentException ex) {
                LOG.warn("{}[{}] is unreadable and will be replaced: {}", mapName, e.getKey(), ex.getMessage());
            }
        }
        return out;
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    @Override
    public void close() {
        duties.shutdownNow();
        kafkaWork.shutdownNow();
    }
}
