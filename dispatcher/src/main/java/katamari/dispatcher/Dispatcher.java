package katamari.dispatcher;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.cp.CPSubsystemManagementService;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import katamari.cluster.ClusterMaps;
import katamari.cluster.ClusterMetadata;
import katamari.cluster.HazelcastSetup;
import katamari.cluster.LeaderRecord;
import katamari.cluster.MasterBeat;
import katamari.cluster.PoolVersion;
import katamari.config.ClusterSettings;
import katamari.config.KatamariConfig;
import katamari.dispatcher.admin.AdminApi;
import katamari.dispatcher.admin.AdminBackend;
import katamari.dispatcher.election.LeaderElection;
import katamari.dispatcher.master.Master;
import katamari.dispatcher.metadata.FencedStore;
import katamari.dispatcher.metadata.Mirrors;
import katamari.dispatcher.metadata.MetadataJournal;
import katamari.dispatcher.provisioning.TopicProvisioner;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The master role: a Hazelcast member of the master set. Every dispatcher keeps a copy of the whole pool set, serves
 * the admin API and {@code GET /cluster}, and contends for the master lock by its place in the master list; the one
 * holding it provisions topics, places instances on workers, evicts silent workers and cleans up after gone
 * gateways (see {@code master.Master}).
 */
public final class Dispatcher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Dispatcher.class);
    private static final Duration BEAT = Duration.ofMillis(500);

    private enum State { NEW, STARTED, CLOSED }

    private final AtomicReference<State> state = new AtomicReference<>(State.NEW);
    private final KatamariConfig config;
    private final ClusterSettings cluster;
    private HazelcastInstance hz;
    private ClusterMetadata metadata;
    private Mirrors mirrors;
    private FencedStore store;
    private TopicProvisioner provisioner;
    private volatile Master master;
    private volatile LeaderElection election;
    private AdminApi admin;
    private volatile ClusterView view; // volatile: the admin API (started before it, for its port) reads it from its threads
    private ScheduledExecutorService beats;
    private volatile String adminUrl;

    /**
     * Where a fresh master set (every dispatcher had stopped) takes its pools from: the metadata journal, that is
     * whatever the admin API made (a cluster), or the config file for the pool-versions it names (one-box dev,
     * whose user edits the file and restarts).
     */
    public enum PoolSource { JOURNAL, CONFIG_FILE }

    private final PoolSource poolSource;
    private MetadataJournal journal;
    private katamari.dispatcher.deadletters.DeadLetterTail deadLetters;

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
        metadata = new ClusterMetadata(hz);
        mirrors = Mirrors.start(metadata, this::workersChanged);
        journal = new MetadataJournal(config.kafka(), cluster.name(), Duration.ofSeconds(10));
        store = new FencedStore(hz, journal, Duration.ofSeconds(2));
        provisioner = new TopicProvisioner(config.kafka());
        deadLetters = new katamari.dispatcher.deadletters.DeadLetterTail(config.kafka());
        admin = new AdminApi(cluster, new Backend()).start();
        String advertised = cluster.adminHost().equals("0.0.0.0") ? cluster.host() : cluster.adminHost();
        adminUrl = "http://" + advertised + ":" + admin.port();
        master = new Master(config, poolSource == PoolSource.CONFIG_FILE, store, journal, provisioner, mirrors, adminUrl, InstantSource.system());
        election = new LeaderElection(hz, cluster, store, mirrors.masters(), mirrors.leader(), master, InstantSource.system());
        view = new ClusterView(cluster, mirrors, election, store, master, new HazelcastView(hz, metadata, cluster.cpMemberCount()));
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
            metadata.putMaster(new MasterBeat(cluster.self(), election.priority(), adminUrl, fence != 0,
                    election.isContending() || fence != 0, fence, System.currentTimeMillis()));
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
            return view.render(Dispatcher.this.isLeader(), leader());
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
        public List<katamari.dispatcher.deadletters.DeadLetterTail.DeadLetter> deadLetters(int limit) {
            return deadLetters.newest(mirrors.pools().snapshot().values().stream().map(PoolVersion::key).toList(), limit);
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
        if (metadata != null) {
            try {
                metadata.removeMaster(cluster.self());
            } catch (RuntimeException e) {
                LOG.debug("cannot remove own master entry: {}", e.toString());
            }
        }
        closeQuietly(mirrors);
        closeQuietly(provisioner);
        closeQuietly(deadLetters);
        closeQuietly(journal);
        if (hz != null) {
            hz.shutdown();
        }
        LOG.info("dispatcher {} stopped", cluster.self());
    }
}
