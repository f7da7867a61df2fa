package katamari.dispatcher.master;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.core.HazelcastInstance;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import katamari.cluster.ClusterMaps;
import katamari.cluster.ClusterMetadata;
import katamari.cluster.Drain;
import katamari.cluster.MetadataJson;
import katamari.cluster.Placement;
import katamari.cluster.PoolVersion;
import katamari.cluster.WorkerBeat;
import katamari.config.ClusterSettings;
import katamari.config.KatamariConfig;
import katamari.config.PoolDefinition;
import katamari.dispatcher.NotLeaderException;
import katamari.dispatcher.election.Term;
import katamari.dispatcher.metadata.FencedStore;
import katamari.dispatcher.metadata.Mirrors;
import katamari.dispatcher.support.MemoryJournal;
import katamari.dispatcher.support.RecordingTopics;
import katamari.dispatcher.support.TestClock;
import katamari.dispatcher.support.TestMembers;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The master on a real in-process member, with an in-memory journal and no Kafka. Every action runs on the duties
 * thread in the order it was handed over, so an admin call made after some notices is answered after them.
 */
class MasterTest {
    private HazelcastInstance hz;
    private MemoryJournal journal;
    private FencedStore store;
    private Mirrors mirrors;
    private RecordingTopics topics;
    private TestClock clock;
    private final List<String> resigned = new CopyOnWriteArrayList<>();
    private Master master;

    @BeforeEach
    void start() {
        hz = TestMembers.start();
        journal = new MemoryJournal();
        store = new FencedStore(hz, journal, Duration.ofSeconds(2));
        mirrors = Mirrors.start(new ClusterMetadata(hz), () -> {});
        topics = new RecordingTopics();
        clock = new TestClock();
    }

    @AfterEach
    void stop() {
        if (master != null) {
            master.close();
        }
        mirrors.close();
        hz.shutdown();
    }

    private Master master(List<PoolDefinition> configPools, boolean configFileWins) {
        return master(configPools, configFileWins, TestMembers.settings(hz));
    }

    private Master master(List<PoolDefinition> configPools, boolean configFileWins, ClusterSettings settings) {
        KatamariConfig config = KatamariConfig.defaults().withCluster(settings).withPools(configPools);
        master = new Master(config, configFileWins, store, journal, topics, mirrors, "http://127.0.0.1:1", clock);
        return master;
    }

    /** A new term, as the election makes one: the CP fence advanced for it. */
    private Term newTerm() {
        long fence = store.advance(0);
        return new Term(fence, clock.instant(), why -> resigned.add(fence + ": " + why));
    }

    private static PoolDefinition pool(String name, String version) {
        return new PoolDefinition(name, version, List.of("true"), 1, null, null, null, null, null, null, null, null, null);
    }

    /**
     * Until {@code t}'s takeover has ended: "leading" is true from its start, and the pools are re-stamped near its
     * end, so the mark of a seeded master set, the takeover's last write, under {@code t}'s fence is what says so.
     */
    private void leadsWith(Term t) {
        await().atMost(Duration.ofSeconds(10)).until(() -> master.leading() && seededUnder(t)
                && store.pools().values().stream().allMatch(p -> p.fence() == t.fence()));
    }

    private boolean seededUnder(Term t) {
        Object mark = hz.getReplicatedMap(ClusterMaps.LEADER).get(ClusterMaps.SEEDED_KEY);
        return mark != null && mark.toString().contains("\"fence\":" + t.fence());
    }

    @Test
    void a_late_end_of_an_earlier_term_does_not_end_the_next_one() {
        master(List.of(pool("echo", "v1")), false);
        Term first = newTerm();
        master.isLeader(first);
        leadsWith(first);
        Term second = newTerm();
        master.isLeader(second);
        master.notLeader(first.fence(), "the first term's takeover failed"); // arrives after the second term began
        PoolVersion stored = master.upsert(new PoolVersion(pool("echo", "v2"), 1, 0)); // answered after both notices
        assertEquals(second.fence(), stored.fence());
        assertTrue(master.leading());
    }

    @Test
    void the_end_of_the_current_term_stops_the_master_work() {
        master(List.of(), false);
        Term t = newTerm();
        master.isLeader(t);
        leadsWith(t);
        master.notLeader(t.fence(), "handing over");
        assertThrows(NotLeaderException.class, () -> master.delete("echo", null));
        assertFalse(master.leading());
    }

    @Test
    void the_first_master_of_a_fresh_master_set_restores_the_journal_under_its_own_fence() {
        journal.put(ClusterMaps.POOLS, "kept/v1", MetadataJson.encode(new PoolVersion(pool("kept", "v1"), 3, 88)));
        journal.put(ClusterMaps.DRAINS, "w1", MetadataJson.encode(new Drain("w1", true, 88)));
        journal.put(ClusterMaps.PLACEMENTS, "w2", MetadataJson.encode(new Placement("w2", Map.of("kept/v1", 1), 88)));
        journal.recordFence(88);
        master(List.of(pool("kept", "v1"), pool("fresh", "v1")), false);
        Term t = newTerm();
        assertTrue(t.fence() > 88, "the fence starts above the journal's");
        master.isLeader(t);
        leadsWith(t);
        Map<String, PoolVersion> pools = store.pools();
        assertEquals(3, pools.get("kept/v1").weight(), "the journal's version wins over the file's");
        assertTrue(pools.containsKey("fresh/v1"), "the file adds what the journal never had");
        assertEquals(new Drain("w1", true, t.fence()), store.drains().get("w1"));
        assertEquals(t.fence(), store.placements().get("w2").fence());
        assertEquals(List.of("w1"), List.copyOf(master.drained()));
    }

    @Test
    void in_dev_the_config_file_wins_for_the_versions_it_names() {
        journal.put(ClusterMaps.POOLS, "kept/v1", MetadataJson.encode(new PoolVersion(pool("kept", "v1"), 3, 5)));
        master(List.of(pool("kept", "v1")), true);
        Term t = newTerm();
        master.isLeader(t);
        leadsWith(t);
        assertEquals(1, store.pools().get("kept/v1").weight());
    }

    @Test
    void a_takeover_that_cannot_write_resigns_its_term() {
        master(List.of(pool("echo", "v1")), false);
        Term t = newTerm();
        journal.failNext(1); // the pool's journal write
        master.isLeader(t);
        await().atMost(Duration.ofSeconds(10)).until(() -> !resigned.isEmpty());
        assertTrue(resigned.get(0).startsWith(t.fence() + ": takeover failed"), resigned.toString());
    }

    @Test
    void a_master_whose_fence_was_overtaken_resigns_at_its_next_tick() {
        master(List.of(), false);
        Term t = newTerm();
        master.isLeader(t);
        leadsWith(t);
        store.advance(0); // another master took over
        await().atMost(Duration.ofSeconds(10)).until(() -> !resigned.isEmpty());
        assertTrue(resigned.get(0).startsWith(t.fence() + ":"), resigned.toString());
    }

    @Test
    void weights_for_a_missing_version_change_nothing() {
        master(List.of(pool("echo", "v1")), false);
        Term t = newTerm();
        master.isLeader(t);
        leadsWith(t);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> master.setWeights("echo", Map.of("v1", 5, "v9", 1)));
        assertTrue(e.getMessage().contains("[v9]"), e.getMessage());
        assertEquals(1, store.pools().get("echo/v1").weight());
        assertEquals(5, master.setWeights("echo", Map.of("v1", 5)).get(0).weight());
    }

    @Test
    void a_deleted_version_is_tombstoned_not_removed() {
        master(List.of(pool("echo", "v1"), pool("echo", "v2")), false);
        Term t = newTerm();
        master.isLeader(t);
        leadsWith(t);
        assertEquals(List.of("echo/v1"), master.delete("echo", "v1"));
        assertTrue(store.pools().get("echo/v1").deleted());
        assertFalse(store.pools().get("echo/v2").deleted());
        assertEquals(List.of(), master.delete("nothing", null));
    }

    @Test
    void a_worker_silent_past_its_ttl_is_evicted_and_its_share_goes_to_the_others() {
        master(List.of(new PoolDefinition("echo", "v1", List.of("true"), 2, null, null, null, null, null, null, null, null, null)), false,
                TestMembers.settings(hz, Duration.ofMillis(100), Duration.ofMillis(300)));
        ClusterMetadata metadata = new ClusterMetadata(hz);
        metadata.putWorker(new WorkerBeat("silent", "h", 4, 0, List.of(), Map.of(), Map.of()));
        metadata.putWorker(new WorkerBeat("alive", "h", 4, 0, List.of(), Map.of(), Map.of()));
        Term t = newTerm();
        master.isLeader(t);
        leadsWith(t);
        await().atMost(Duration.ofSeconds(10)).until(() -> store.placements().size() == 2);
        clock.advance(Duration.ofSeconds(1)); // the term is older than the TTL: silence now counts in full
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).until(() -> {
            metadata.putWorker(new WorkerBeat("alive", "h", 4, 0, List.of(), Map.of(), Map.of()));
            return !mirrors.workers().snapshot().containsKey("silent");
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> store.placements().get("silent").total() == 0
                && store.placements().get("alive").instances().equals(Map.of("echo/v1", 2)));
    }
}
