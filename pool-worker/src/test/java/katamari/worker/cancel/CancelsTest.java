package katamari.worker.cancel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The agent's memory of cancels: what it remembers, for how long, how much, and what a cancel stops. */
class CancelsTest {
    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final Cancels cancels = new Cancels(now::get);

    @Test
    void a_cancelled_id_is_remembered_for_the_longest_timeout_but_at_least_five_minutes() {
        cancels.rememberFor(Duration.ofSeconds(30));
        cancels.cancel("a");
        assertTrue(cancels.isCancelled("a"));
        assertFalse(cancels.isCancelled("b"), "an id nobody cancelled");
        assertFalse(cancels.isCancelled(null), "a request without an id is never cancelled");
        now.addAndGet(Duration.ofMinutes(5).minusMillis(1).toNanos());
        assertTrue(cancels.isCancelled("a"), "remembered for the minimum even though the pools time out sooner");
        now.addAndGet(Duration.ofMillis(2).toNanos());
        assertFalse(cancels.isCancelled("a"), "forgotten after it");

        cancels.rememberFor(Duration.ofMinutes(20));
        cancels.cancel("c");
        now.addAndGet(Duration.ofMinutes(19).toNanos());
        assertTrue(cancels.isCancelled("c"), "a pool with a longer timeout keeps cancels longer");
    }

    @Test
    void past_the_bound_the_oldest_ids_are_forgotten_first() {
        for (int i = 0; i <= Cancels.MAX_IDS; i++) {
            cancels.cancel("id-" + i);
        }
        assertFalse(cancels.isCancelled("id-0"), "the oldest made room");
        assertTrue(cancels.isCancelled("id-1"));
        assertTrue(cancels.isCancelled("id-" + Cancels.MAX_IDS));
        assertEquals(Cancels.MAX_IDS + 1, cancels.heard());
    }

    @Test
    void a_cancel_stops_a_running_call_once_and_a_finished_one_not_at_all() {
        AtomicInteger stops = new AtomicInteger();
        Runnable stop = stops::incrementAndGet;
        cancels.whileRunning("a", stop);
        cancels.cancel("a");
        cancels.cancel("a");
        assertEquals(1, stops.get(), "stopped once, however often it is cancelled");

        Runnable other = stops::incrementAndGet;
        cancels.whileRunning("b", other);
        cancels.finished("b", other);
        cancels.cancel("b");
        assertEquals(1, stops.get(), "a call that finished is not stopped: a cancel of a finished id is a no-op");
    }

    @Test
    void a_call_that_starts_after_its_cancel_is_stopped_at_once() {
        AtomicInteger stops = new AtomicInteger();
        cancels.cancel("a");
        cancels.whileRunning("a", stops::incrementAndGet);
        assertEquals(1, stops.get());
    }
}
