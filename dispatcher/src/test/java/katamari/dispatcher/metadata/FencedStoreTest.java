package katamari.dispatcher.metadata;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.core.HazelcastInstance;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import katamari.cluster.ClusterMaps;
import katamari.cluster.Drain;
import katamari.cluster.MetadataJson;
import katamari.cluster.PoolVersion;
import katamari.config.PoolDefinition;
import katamari.dispatcher.support.MemoryJournal;
import katamari.dispatcher.support.TestMembers;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Fencing on a real in-process member (CP in unsafe mode) with an in-memory journal. */
class FencedStoreTest {
    private HazelcastInstance hz;
    private MemoryJournal journal;
    private FencedStore store;

    @BeforeEach
    void start() {
        hz = TestMembers.start();
        journal = new MemoryJournal();
        store = new FencedStore(hz, journal, Duration.ofSeconds(2));
    }

    @AfterEach
    void stop() {
        hz.shutdown();
    }

    private static PoolVersion pool(long fence) {
        return new PoolVersion(new PoolDefinition("echo", "v1", List.of("true"), 1, null, null, null, null, null, null, null, null, null), 1, fence);
    }

    @Test
    void advance_never_goes_backwards() {
        long first = store.advance(5);
        assertEquals(5, first, "above the lock's fence");
        long second = store.advance(2); // a CP group that started over hands out low lock fences again
        assertTrue(second > first, second + " > " + first);
        assertEquals(second, store.currentFence());
        assertEquals(second, journal.fence(), "the fence is journaled before it is used");
    }

    @Test
    void the_term_an_advance_started_gets_the_journal_it_read_without_a_second_read() {
        journal.put(ClusterMaps.POOLS, "echo/v1", MetadataJson.encode(pool(3)));
        long fence = store.advance(1);
        assertEquals(1, journal.reads());
        assertEquals(MetadataJson.encode(pool(3)), store.journalAt(fence).map(ClusterMaps.POOLS).get("echo/v1"));
        assertEquals(1, journal.reads(), "the restore right after the advance reuses its read");
        store.journalAt(fence);
        assertEquals(2, journal.reads(), "a second reader of the same term reads the journal anew: the advance's read is used once");
    }

    @Test
    void advance_starts_above_the_journals_fence() {
        journal.recordFence(88); // the last master set's highest fence; the CP group is new
        assertEquals(89, store.advance(1));
    }

    @Test
    void a_stale_token_is_refused_and_its_write_does_not_land() {
        long old = store.advance(0);
        long current = store.advance(0);
        StaleLeaderException e = assertThrows(StaleLeaderException.class, () -> store.putPool(old, pool(old)));
        assertTrue(e.getMessage().contains("written under fence " + old + " but the current master's fence is " + current), e.getMessage());
        assertEquals(old, e.token());
        assertEquals(Map.of(), store.pools());
        assertEquals(Map.of(), journal.read().map(ClusterMaps.POOLS), "nothing journaled either");
        assertEquals(1, store.refusedWrites());
    }

    @Test
    void a_value_must_carry_the_token_it_is_written_under() {
        long current = store.advance(0);
        assertThrows(IllegalArgumentException.class, () -> store.putPool(current, pool(current - 1)));
    }

    @Test
    void a_durable_write_goes_to_the_journal_first() {
        long fence = store.advance(0);
        store.putPool(fence, pool(fence));
        store.putDrain(fence, new Drain("w1", true, fence));
        assertEquals(MetadataJson.encode(pool(fence)), journal.read().map(ClusterMaps.POOLS).get("echo/v1"));
        assertEquals(pool(fence), store.pools().get("echo/v1"));
        assertTrue(store.drains().get("w1").draining());
    }

    @Test
    void a_journal_that_cannot_take_a_write_fails_it_and_the_map_is_untouched() {
        long fence = store.advance(0);
        journal.failNext(1);
        assertThrows(IllegalStateException.class, () -> store.putPool(fence, pool(fence)));
        assertEquals(Map.of(), store.pools());
    }

    @Test
    void a_journal_that_cannot_record_the_fence_makes_advance_fail() {
        journal.failNext(1);
        assertThrows(IllegalStateException.class, () -> store.advance(0));
        assertEquals(0, journal.fence());
    }

    @Test
    void the_seeded_marker_is_fenced_too() {
        assertFalse(store.seeded());
        long fence = store.advance(0);
        store.markSeeded(fence, "me");
        assertTrue(store.seeded());
    }
}
