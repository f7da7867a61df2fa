package katamari.dispatcher;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.cp.CPSubsystemManagementService;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import katamari.cluster.ClusterMaps;
import katamari.cluster.GatewayBeat;
import katamari.cluster.HazelcastSetup;
import katamari.cluster.LeaderRecord;
import katamari.cluster.MasterBeat;
import katamari.cluster.MetadataJson;
import katamari.cluster.PoolVersion;
import katamari.cluster.WorkerBeat;
import katamari.config.ClusterSettings;
import katamari.config.KatamariConfig;
import katamari.dispatcher.admin.AdminApi;
import katamari.dispatcher.admin.AdminBackend;
import katamari.dispatcher.election.LeaderElection;
import katamari.dispatcher.metadata.FencedStore;
import katamari.dispatcher.metadata.MetadataJournal;
import katamari.dispatcher.provisioning.TopicProvisioner;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The master role: a Hazelcast member of the master set. Every dispatcher keeps a copy of the whole pool set, serves
 * the admin API and {@code GET /cluster}, and contends for the master lock by its place in the master list; the one
 * holding it provisions topics, places instances on workers, evicts silent workers and cleans up after gone
 * gateways (see {@code Master}).
 */
public final class Dispatcher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Dispatcher.class);
    private static final Duration BEAT = Duration.ofMillis(500);
    /** Gateways beat every second; one silent for this long no longer counts towards traffic. */
    private static final Duration TRAFFIC_FRESH = Duration.ofSeconds(5);

    private enum State { NEW, STARTED, CLOSED }

    private final AtomicReference<State> state = new AtomicReference<>(State.NEW);
    private final KatamariConfig config;
    private final ClusterSettings cluster;
    private HazelcastInstance hz;
    private Mirrors mirrors;
    private FencedStore store;
    private TopicProvisioner provisioner;
    private volatile Master master;
    private LeaderElection election;
    private AdminApi admin;
    private ScheduledExecutorService beats;
    private String adminUrl;

    /**
     * Where a fresh master set (every dispatcher had stopped) takes its pools from: the metadata journal, that is
     * whatever the admin API made (a cluster), or the config file for the pool-versions it names (one-box dev,
     * whose user edits the file and restarts).
     */
    public enum PoolSource { JOURNAL, CONFIG_FILE }

    private final PoolSource poolSource;
    private MetadataJournal journal;

    public Dispatcher(KatamariConfig config) {
        this(config, PoolSource.JOURNAL);
    }

    public Dispatcher(KatamariConfig config, PoolSource poolSource) {
        this.config = config;
        this.cluster = config.cluster();
        this.poolSource = poolSource;
    }

    public void start() {
        if (!state.compareAndSet(State.NEW, State.STARTED)) {
            throw new IllegalStateException("dispatcher cannot be started more than once (state " + state.get() + ")");
        }
        LOG.info("dispatcher {} joining {} (CP members: {})", cluster.self(), cluster.members(),
                cluster.cpMemberCount() == 0 ? "0, unsafe mode" : cluster.cpMemberCount());
        hz = HazelcastSetup.startMember(cluster);
        mirrors = Mirrors.start(hz, this::workersChanged);
        journal = new MetadataJournal(config.kafka(), cluster.name(), Duration.ofSeconds(10));
        store = new FencedStore(hz, journal, Duration.ofSeconds(2));
        provisioner = new TopicProvisioner(config.kafka());
        admin = new AdminApi(cluster, new Backend()).start();
        String advertised = cluster.adminHost().equals("0.0.0.0") ? cluster.host() : cluster.adminHost();
        adminUrl = "http://" + advertised + ":" + admin.port();
        master = new Master(config, hz, store, journal, poolSource, provisioner, mirrors, adminUrl, InstantSource.system());
        election = new LeaderElection(hz, cluster, store, mirrors.masters(), mirrors.leader(), master, InstantSource.system());
        beats = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "dispatcher-beat");
            t.setDaemon(true);
            return t;
        });
        beats.scheduleWithFixedDelay(this::beat, 0, BEAT.toMillis(), TimeUnit.MILLISECONDS);
        beats.scheduleWithFixedDelay(mirrors::resync, 5, 5, TimeUnit.SECONDS);
        beats.scheduleWithFixedDelay(this::keepCpGroupFull, 5, 5, TimeUnit.SECONDS);
        election.start();
        LOG.info("dispatcher {} (priority {}) admin API on {}", cluster.self(), election.priority(), adminUrl);
    }

    private void workersChanged() {
        Master m = master;
        if (m != null) {
            m.nudge();
        }
    }

    /** This dispatcher's own entry in the master set; not fenced, as every dispatcher writes only its own. */
    private void beat() {
        try {
            long fence = election.fence();
            hz.<String, String>getReplicatedMap(ClusterMaps.MASTERS).put(cluster.self(), MetadataJson.encode(new MasterBeat(
                    cluster.self(), election.priority(), adminUrl, fence != 0, election.isContending() || fence != 0, fence,
                    System.currentTimeMillis())));
        } catch (RuntimeException e) {
            LOG.debug("master beat failed: {}", e.toString());
        }
    }

    /**
     * A CP member that died and came back is a new member; once the CP group has removed the missing one (after
     * {@code cluster.cpMemberRemoval}), a dispatcher outside the CP group promotes itself to bring it back to size.
     */
    private void keepCpGroupFull() {
        if (cluster.cpMemberCount() == 0) {
            return;
        }
        try {
            CPSubsystemManagementService cp = hz.getCPSubsystem().getCPSubsystemManagementService();
            if (!cp.isDiscoveryCompleted() || cp.getLocalCPMember() != null) {
                return;
            }
            int size = cp.getCPMembers().toCompletableFuture().get(2, TimeUnit.SECONDS).size();
            if (size < cluster.cpMemberCount()) {
                LOG.info("the CP group has {} of {} members: promoting {} to a CP member", size, cluster.cpMemberCount(), cluster.self());
                cp.promoteToCPMember().toCompletableFuture().get(30, TimeUnit.SECONDS);
            }
        } catch (Exception e) {
            LOG.debug("CP membership check failed: {}", e.toString());
        }
    }

    /** The member instance (one-box mode runs the worker and gateway on it instead of separate clients). */
    public HazelcastInstance hazelcast() {
        return hz;
    }

    public boolean isLeader() {
        return master != null && master.leading() && election.fence() != 0;
    }

    public int adminPort() {
        return admin.port();
    }

    public String adminUrl() {
        return adminUrl;
    }

    /** Who leads, as this dispatcher's copy of the metadata says (null until a master wrote its record). */
    public LeaderRecord leader() {
        LeaderRecord r = mirrors.leader().get(ClusterMaps.LEADER_KEY);
        return r == null || r.address() == null ? null : r;
    }

    private Map<String, Object> clusterView() {
        Map<String, Object> out = new LinkedHashMap<>();
        LeaderRecord leader = leader();
        out.put("self", ordered("address", cluster.self(), "priority", election.priority(), "leader", isLeader(),
                "fence", election.fence(), "staleWritesRefused", store.refusedWrites()));
        out.put("leader", leader == null ? null : ordered("address", leader.address(), "fence", leader.fence(),
                "since", leader.since(), "adminUrl", leader.adminUrl(), "renewedMsAgo", mirrors.leader().lastHeard(ClusterMaps.LEADER_KEY)));
        List<Map<String, Object>> masters = new ArrayList<>();
        for (String address : cluster.members()) {
            MasterBeat b = mirrors.masters().get(address);
            long heard = mirrors.masters().lastHeard(address);
            masters.add(ordered("address", address, "priority", cluster.priorityOf(address),
                    "healthy", b != null && heard >= 0 && heard <= LeaderElection.BEAT_FRESH.toMillis(),
                    "leader", leader != null && address.equals(leader.address()), "heardMsAgo", heard));
        }
        out.put("masters", masters);
        Map<String, int[]> usage = new TreeMap<>();
        List<Map<String, Object>> workers = new ArrayList<>();
        java.util.Set<String> drained = master.drained();
        int capacity = 0;
        for (WorkerBeat w : new TreeMap<>(mirrors.workers().snapshot()).values()) {
            int available = 0;
            int inUse = 0;
            int stopping = 0;
            for (WorkerBeat.Instance i : w.instances()) {
                int[] u = usage.computeIfAbsent(i.key(), k -> new int[6]); // running, available, in use, restarts, degraded, stopping
                u[3] += i.restarts();
                if ("STOPPING".equals(i.state()) || "STOPPED".equals(i.state())) {
                    // drained after a scale-down: finishing its last record, not part of the pool-version's count
                    u[5]++;
                    stopping++;
                    continue;
                }
                u[0]++;
                u[4] += i.degraded() ? 1 : 0;
                if ("IDLE".equals(i.state())) {
                    available++;
                    u[1]++;
                } else if ("BUSY".equals(i.state())) {
                    inUse++;
                    u[2]++;
                }
            }
            capacity += w.capacity();
            var placement = mirrors.placements().get(w.id());
            workers.add(ordered("id", w.id(), "host", String.valueOf(w.host()), "capacity", w.capacity(),
                    "heartbeatAgeMs", mirrors.workers().lastHeard(w.id()), "instances", w.instances().size() - stopping,
                    "available", available, "inUse", inUse, "stopping", stopping,
                    "healthy", w.healthy(), "unhealthy", w.unhealthy(),
                    "placement", placement == null ? Map.of() : placement.instances(), "refused", w.refused(),
                    "draining", drained.contains(w.id())));
        }
        out.put("workers", workers);
        out.put("drained", drained); // a drain outlives the worker's registration: it applies when the worker comes back
        Map<String, Integer> unplaced = master.unplaced();
        Map<String, GatewayBeat.Traffic> traffic = traffic();
        Map<String, List<Map<String, Object>>> pools = new TreeMap<>();
        for (PoolVersion p : new TreeMap<>(mirrors.pools().snapshot()).values()) {
            int[] u = usage.getOrDefault(p.key(), new int[6]);
            GatewayBeat.Traffic t = traffic.getOrDefault(p.key(), new GatewayBeat.Traffic(0, 0, 0));
            pools.computeIfAbsent(p.definition().name(), k -> new ArrayList<>()).add(ordered(
                    "version", p.definition().version(), "weight", p.weight(), "instances", p.definition().instances(),
                    "running", u[0], "available", u[1], "inUse", u[2], "stopping", u[5], "unplaced", unplaced.getOrDefault(p.key(), 0),
                    "restarts", u[3], "degraded", u[4] > 0,
                    "requests", t.requests(), "failures", t.failures(), "pending", t.pending()));
        }
        out.put("pools", pools);
        int running = usage.values().stream().mapToInt(u -> u[0]).sum();
        out.put("totals", ordered("capacity", capacity, "instances", running,
                "available", usage.values().stream().mapToInt(u -> u[1]).sum(),
                "inUse", usage.values().stream().mapToInt(u -> u[2]).sum(),
                "unplaced", unplaced.values().stream().mapToInt(Integer::intValue).sum()));
        out.put("gateways", new TreeMap<>(mirrors.gateways().snapshot()).keySet());
        return out;
    }

    /**
     * What the live gateways (heard within {@link #TRAFFIC_FRESH}) have seen per pool-version, added up: counts since
     * each gateway started, so a reader takes differences over time (a gateway that stops takes its counts with it).
     */
    private Map<String, GatewayBeat.Traffic> traffic() {
        Map<String, GatewayBeat.Traffic> sum = new TreeMap<>();
        mirrors.gateways().snapshot().forEach((id, beat) -> {
            long heard = mirrors.gateways().lastHeard(id);
            if (heard >= 0 && heard <= TRAFFIC_FRESH.toMillis()) {
                beat.traffic().forEach((key, t) -> sum.merge(key, t, GatewayBeat.Traffic::plus));
            }
        });
        return sum;
    }

    /** A JSON object that keeps its keys in the order given. */
    private static Map<String, Object> ordered(Object... keysAndValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            m.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return m;
    }

    private final class Backend implements AdminBackend {
        @Override
        public boolean isLeader() {
            return Dispatcher.this.isLeader();
        }

        @Override
        public String leaderAdminUrl() {
            LeaderRecord r = leader();
            return r == null ? null : r.adminUrl();
        }

        @Override
        public String selfAdminUrl() {
            return adminUrl;
        }

        @Override
        public List<PoolVersion> pools() {
            return List.copyOf(mirrors.pools().snapshot().values());
        }

        @Override
        public Map<String, Object> clusterView() {
            return Dispatcher.this.clusterView();
        }

        @Override
        public PoolVersion upsert(PoolVersion requested) {
            return master.upsert(requested);
        }

        @Override
        public List<PoolVersion> setWeights(String pool, Map<String, Integer> weights) {
            return master.setWeights(pool, weights);
        }

        @Override
        public List<String> delete(String pool, String version) {
            return master.delete(pool, version);
        }

        @Override
        public katamari.cluster.Drain drain(String worker, boolean draining) {
            return master.drain(worker, draining);
        }
    }

    private static void closeQuietly(AutoCloseable part) {
        if (part == null) {
            return;
        }
        try {
            part.close();
        } catch (Exception e) {
            LOG.warn("stopping {} failed: {}", part.getClass().getSimpleName(), e.toString());
        }
    }

    /** A master unlocks on the way out, so a standby takes over at once rather than after the session TTL. */
    @Override
    public void close() {
        if (state.getAndSet(State.CLOSED) != State.STARTED) {
            return;
        }
        // a start that failed half way leaves some parts unmade: close what exists
        closeQuietly(election);
        if (beats != null) {
            beats.shutdownNow();
        }
        closeQuietly(master);
        closeQuietly(admin);
        if (hz != null) {
            try {
                hz.<String, String>getReplicatedMap(ClusterMaps.MASTERS).remove(cluster.self());
            } catch (RuntimeException e) {
                LOG.debug("cannot remove own master entry: {}", e.toString());
            }
        }
        closeQuietly(mirrors);
        closeQuietly(provisioner);
        closeQuietly(journal);
        if (hz != null) {
            hz.shutdown();
        }
        LOG.info("dispatcher {} stopped", cluster.self());
    }
}
