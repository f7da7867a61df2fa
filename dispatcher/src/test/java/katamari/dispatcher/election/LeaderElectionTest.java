package katamari.dispatcher.election;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.cp.lock.FencedLock;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import katamari.cluster.ClusterMaps;
import katamari.cluster.LeaderRecord;
import katamari.cluster.MapMirror;
import katamari.cluster.MasterBeat;
import katamari.config.ClusterSettings;
import katamari.dispatcher.metadata.FencedStore;
import katamari.dispatcher.support.MemoryJournal;
import katamari.dispatcher.support.TestMembers;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class LeaderElectionTest {
    private HazelcastInstance hz;
    private ClusterSettings settings;
    private FencedStore store;
    private MapMirror<MasterBeat> masters;
    private MapMirror<LeaderRecord> leader;
    private MemoryJournal journal;

    @BeforeEach
    void start() {
        hz = TestMembers.start();
        settings = TestMembers.settings(hz);
        journal = new MemoryJournal();
        store = new FencedStore(hz, journal, Duration.ofSeconds(2));
        masters = new MapMirror<>(hz.getReplicatedMap(ClusterMaps.MASTERS), MasterBeat.class, k -> {}).start();
        leader = new MapMirror<>(hz.getReplicatedMap(ClusterMaps.LEADER), LeaderRecord.class, k -> {}).start();
    }

    @AfterEach
    void stop() {
        hz.shutdown();
    }

    /**
     * A takeover fails on the duties thread and deposes the term; the election thread, free to contend again, wins
     * a new term. The listener must hear the end of the first term before the start of the second: a late
     * notLeader would end the new term, and the dispatcher would hold the lock while nobody does the master's work.
     */
    @Test
    void the_end_of_a_failed_term_reaches_the_listener_before_the_next_term() {
        List<String> heard = new CopyOnWriteArrayList<>();
        List<Term> terms = new CopyOnWriteArrayList<>();
        LeaderElection[] election = new LeaderElection[1];
        election[0] = new LeaderElection(hz, settings, store, masters, leader, new LeadershipListener() {
            @Override
            public void isLeader(Term term) {
                terms.add(term);
                heard.add("isLeader " + term.fence());
            }

            @Override
            public void notLeader(long fence, String why) {
                // give the election thread every chance to win again before this notice is delivered
                await().atMost(Duration.ofSeconds(10)).until(() -> heard.size() > 1 || electionBlockedOn(election[0]));
                heard.add("notLeader " + fence);
            }
        }, InstantSource.system());
        try (LeaderElection e = election[0]) {
            e.start();
            await().atMost(Duration.ofSeconds(10)).until(() -> e.fence() != 0);
            long first = e.fence();
            terms.get(0).resign("takeover failed"); // what the master's duties thread does when its takeover fails
            await().atMost(Duration.ofSeconds(10)).until(() -> heard.size() == 3);
            assertEquals(List.of("isLeader " + first, "notLeader " + first, "isLeader " + e.fence()), heard);
        }
    }

    /** Remembers what it heard, in order. */
    private static final class Recorder implements LeadershipListener {
        final List<String> heard = new CopyOnWriteArrayList<>();

        @Override
        public void isLeader(Term term) {
            heard.add("isLeader " + term.fence());
        }

        @Override
        public void notLeader(long fence, String why) {
            heard.add("notLeader " + fence);
        }
    }

    @Test
    void a_dispatcher_that_cannot_make_its_fence_durable_does_not_lead_and_releases_the_lock() throws Exception {
        journal.failNext(Integer.MAX_VALUE);
        Recorder recorder = new Recorder();
        try (LeaderElection e = new LeaderElection(hz, settings, store, masters, leader, recorder, InstantSource.system())) {
            e.start();
            await().atMost(Duration.ofSeconds(10)).until(e::isContending);
            FencedLock lock = hz.getCPSubsystem().getLock(ClusterMaps.MASTER_LOCK);
            assertTrue(lock.tryLock(10, TimeUnit.SECONDS), "the election let go of the lock it could not lead with");
            lock.unlock();
            assertEquals(0, e.fence());
            assertEquals(List.of(), recorder.heard);
        }
    }

    @Test
    void a_leader_that_closes_ends_its_term_and_unlocks() throws Exception {
        Recorder recorder = new Recorder();
        long fence;
        try (LeaderElection e = new LeaderElection(hz, settings, store, masters, leader, recorder, InstantSource.system())) {
            e.start();
            await().atMost(Duration.ofSeconds(10)).until(() -> e.fence() != 0);
            fence = e.fence();
        }
        assertEquals(List.of("isLeader " + fence, "notLeader " + fence), recorder.heard);
        FencedLock lock = hz.getCPSubsystem().getLock(ClusterMaps.MASTER_LOCK);
        assertTrue(lock.tryLock(1, TimeUnit.SECONDS), "a standby can take the lock at once");
        lock.unlock();
    }

    @Test
    void a_resign_of_a_term_that_is_over_changes_nothing() {
        List<Term> terms = new CopyOnWriteArrayList<>();
        Recorder recorder = new Recorder();
        LeadershipListener both = new LeadershipListener() {
            @Override
            public void isLeader(Term term) {
                terms.add(term);
                recorder.isLeader(term);
            }

            @Override
            public void notLeader(long fence, String why) {
                recorder.notLeader(fence, why);
            }
        };
        try (LeaderElection e = new LeaderElection(hz, settings, store, masters, leader, both, InstantSource.system())) {
            e.start();
            await().atMost(Duration.ofSeconds(10)).until(() -> e.fence() != 0);
            terms.get(0).resign("first");
            await().atMost(Duration.ofSeconds(10)).until(() -> terms.size() == 2);
            terms.get(0).resign("late, again");
            assertEquals(terms.get(1).fence(), e.fence(), "the second term goes on");
            assertEquals(3, recorder.heard.size(), recorder.heard.toString());
        }
    }

    /** The election thread waits for the election's own monitor (it cannot change the leadership meanwhile). */
    private static boolean electionBlockedOn(LeaderElection e) {
        for (ThreadInfo t : ManagementFactory.getThreadMXBean().dumpAllThreads(true, false)) {
            if (t.getThreadName().equals("master-election") && t.getThreadState() == Thread.State.BLOCKED && t.getLockInfo() != null
                    && t.getLockInfo().getIdentityHashCode() == System.identityHashCode(e)) {
                return true;
            }
        }
        return false;
    }
}
