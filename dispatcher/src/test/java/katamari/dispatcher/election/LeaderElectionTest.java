package katamari.dispatcher.election;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.hazelcast.core.HazelcastInstance;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
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

    @BeforeEach
    void start() {
        hz = TestMembers.start();
        settings = TestMembers.settings(hz);
        store = new FencedStore(hz, new MemoryJournal(), Duration.ofSeconds(2));
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
