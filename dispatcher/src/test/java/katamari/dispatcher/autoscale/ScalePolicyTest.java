package katamari.dispatcher.autoscale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import katamari.config.Autoscale;
import katamari.dispatcher.autoscale.ScalePolicy.Decision;
import katamari.dispatcher.autoscale.ScalePolicy.Memory;
import katamari.dispatcher.autoscale.ScalePolicy.Reading;
import org.junit.jupiter.api.Test;

/** The decision alone: readings, bounds and time in, a count out; the time is a number the test moves. */
class ScalePolicyTest {
    private static final Autoscale ONE_TO_SIXTEEN = Autoscale.between(1, 16); // grow after 2 s, shrink after 30 s
    private static final int ROOM = 100;
    private static final Reading SATURATED = new Reading(1.0, 1, 0);
    private static final Reading IDLE = new Reading(0.0, 0, 0);

    /** Feeds the same reading every 500 ms (the master's tick) from {@code from} to {@code to} and returns the last decision. */
    private static Decision run(Autoscale s, int current, Reading r, Memory m, long from, long to) {
        Decision d = null;
        for (long t = from; t <= to; t += 500) {
            d = ScalePolicy.decide(s, current, ROOM, r, m, t);
            if (d.changes(current)) {
                return d;
            }
            m = d.memory();
        }
        return d;
    }

    @Test
    void a_busy_share_above_the_threshold_grows_only_once_it_has_held_for_grow_after() {
        Decision early = run(ONE_TO_SIXTEEN, 2, new Reading(0.9, 1.8, 0), Memory.FRESH, 0, 1_500);
        assertEquals(2, early.target(), "held 1.5 s of 2 s: no change yet");
        Decision d = run(ONE_TO_SIXTEEN, 2, new Reading(0.9, 1.8, 0), Memory.FRESH, 0, 2_000);
        assertEquals(4, d.target(), "1.8 busy instances at the middle share (0.55) need 4");
        assertTrue(d.reason().startsWith("grow: busy share 90 %"), d.reason());
        assertEquals(2_000, d.memory().lastChangeAt());
    }

    @Test
    void a_backlog_at_most_doubles_the_count_per_step() {
        Decision d = run(ONE_TO_SIXTEEN, 3, new Reading(1.0, 3, 500), Memory.FRESH, 0, 2_000);
        assertEquals(6, d.target());
        assertTrue(d.reason().contains("500 waiting"), d.reason());
    }

    @Test
    void waiting_requests_grow_the_pool_even_when_the_heartbeats_saw_no_instance_busy() {
        assertEquals(2, run(ONE_TO_SIXTEEN, 1, new Reading(0.0, 0, 3), Memory.FRESH, 0, 2_000).target());
    }

    @Test
    void a_grow_waits_grow_after_since_the_last_change_and_never_passes_max() {
        Memory changed = new Memory(ScalePolicy.NEVER, ScalePolicy.NEVER, 10_000);
        assertEquals(4, run(Autoscale.between(1, 8), 4, new Reading(1.0, 4, 1_000), changed, 10_000, 11_500).target(),
                "within 2 s of the last change nothing happens");
        assertEquals(8, run(Autoscale.between(1, 8), 4, new Reading(1.0, 4, 1_000), changed, 10_000, 12_500).target());
        Decision atMax = run(Autoscale.between(1, 8), 8, new Reading(1.0, 8, 1_000), Memory.FRESH, 0, 10_000);
        assertEquals(8, atMax.target());
        assertNull(atMax.reason());
        assertFalse(atMax.capped(), "at max is not a lack of capacity");
    }

    @Test
    void the_workers_room_caps_a_grow_and_says_so() {
        Decision d = ScalePolicy.decide(ONE_TO_SIXTEEN, 2, 3, new Reading(1.0, 2, 50), new Memory(0, ScalePolicy.NEVER, ScalePolicy.NEVER), 2_000);
        assertEquals(3, d.target());
        assertTrue(d.capped());
        assertTrue(d.reason().contains("wanted 4, the workers have room for 3"), d.reason());
        Decision full = ScalePolicy.decide(ONE_TO_SIXTEEN, 3, 3, new Reading(1.0, 3, 50), new Memory(0, ScalePolicy.NEVER, ScalePolicy.NEVER), 9_000);
        assertEquals(3, full.target(), "no room: it keeps serving with what it has");
        assertTrue(full.capped());
    }

    @Test
    void an_idle_pool_shrinks_by_at_most_half_after_shrink_after_and_never_below_min() {
        assertEquals(8, run(ONE_TO_SIXTEEN, 8, IDLE, Memory.FRESH, 0, 29_500).target(), "low for 29.5 s of 30 s: no change");
        Decision d = run(ONE_TO_SIXTEEN, 8, IDLE, Memory.FRESH, 0, 30_000);
        assertEquals(4, d.target());
        assertTrue(d.reason().startsWith("shrink: busy share 0 %, 0 waiting for 30000 ms"), d.reason());
        assertEquals(2, run(Autoscale.between(2, 16), 3, IDLE, Memory.FRESH, 0, 30_000).target());
        Decision atMin = run(Autoscale.between(2, 16), 2, IDLE, Memory.FRESH, 0, 60_000);
        assertEquals(2, atMin.target());
    }

    @Test
    void a_shrink_keeps_what_the_load_needs() {
        // 2.5 busy of 12 (21 %): 2.5 / 0.55 needs 5, but a step removes at most half: 6
        assertEquals(6, run(ONE_TO_SIXTEEN, 12, new Reading(0.21, 2.5, 0), Memory.FRESH, 0, 30_000).target());
        // 2.9 busy of 10 (29 %) at 0.55 needs 6, more than half of 10
        assertEquals(6, run(ONE_TO_SIXTEEN, 10, new Reading(0.29, 2.9, 0), Memory.FRESH, 0, 30_000).target());
    }

    @Test
    void load_between_the_thresholds_or_a_waiting_request_resets_the_shrink_clock() {
        Autoscale s = Autoscale.between(1, 16).withDelays(Duration.ofSeconds(1), Duration.ofSeconds(10));
        Memory m = run(s, 4, IDLE, Memory.FRESH, 0, 9_000).memory();
        assertEquals(0, m.lowSince());
        Decision between = ScalePolicy.decide(s, 4, ROOM, new Reading(0.5, 2, 0), m, 9_500);
        assertEquals(ScalePolicy.NEVER, between.memory().lowSince());
        assertEquals(4, run(s, 4, IDLE, between.memory(), 10_000, 19_500).target(), "the 10 s start again at 10 s");
        assertEquals(2, run(s, 4, IDLE, between.memory(), 10_000, 20_000).target());
    }

    @Test
    void a_count_outside_the_bounds_is_brought_within_them_at_once() {
        Decision d = ScalePolicy.decide(Autoscale.between(2, 4), 9, ROOM, SATURATED, Memory.FRESH, 0);
        assertEquals(4, d.target());
        assertEquals("instances 9 outside autoscale 2..4", d.reason());
        assertEquals(2, ScalePolicy.decide(Autoscale.between(2, 4), 1, ROOM, IDLE, Memory.FRESH, 0).target());
    }

    @Test
    void no_live_instance_and_nothing_waiting_is_neither_high_nor_low() {
        Decision d = run(ONE_TO_SIXTEEN, 4, new Reading(Double.NaN, 0, 0), Memory.FRESH, 0, 60_000);
        assertEquals(4, d.target());
        assertEquals(ScalePolicy.NEVER, d.memory().highSince());
        assertEquals(ScalePolicy.NEVER, d.memory().lowSince());
    }
}
