package katamari.dispatcher.autoscale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import katamari.cluster.GatewayBeat;
import katamari.cluster.PoolVersion;
import katamari.cluster.ScaleChange;
import katamari.cluster.WorkerBeat;
import katamari.config.Autoscale;
import katamari.config.PoolDefinition;
import org.junit.jupiter.api.Test;

/** Heartbeats in, changes out, on a clock the test moves in the master's 500-ms ticks. */
class AutoscalerTest {
    private static final Autoscale BOUNDS = Autoscale.between(1, 8).withDelays(Duration.ofSeconds(1), Duration.ofSeconds(4));
    private static final Map<String, Integer> ROOM = Map.of("wc/v1", 8);

    private static PoolVersion pool(int instances, ScaleChange scaled) {
        PoolDefinition d = PoolDefinition.of("wc", "v1", List.of("python3")).withInstances(instances).withAutoscale(BOUNDS);
        return new PoolVersion(d, 1, 7, false, scaled);
    }

    private static WorkerBeat worker(String... states) {
        List<WorkerBeat.Instance> instances = new ArrayList<>();
        for (int i = 0; i < states.length; i++) {
            instances.add(new WorkerBeat.Instance("i" + i, "wc", "v1", states[i], 100 + i, 0, false, 1000));
        }
        return new WorkerBeat("w1", "h", 8, 0, instances, Map.of(), Map.of());
    }

    private static Map<String, GatewayBeat.Traffic> pending(int n) {
        return Map.of("wc/v1", new GatewayBeat.Traffic(0, 0, n, Map.of(), -1, -1, -1));
    }

    @Test
    void calls_pending_beyond_the_live_instances_grow_the_pool_after_grow_after() {
        Autoscaler a = new Autoscaler();
        PoolVersion p = pool(2, null);
        assertEquals(Map.of(), a.observe(List.of(p), List.of(worker("BUSY", "BUSY")), pending(2), ROOM, 0), "2 pending on 2 instances: none waits");
        assertEquals(Map.of(), a.observe(List.of(p), List.of(worker("BUSY", "BUSY")), pending(7), ROOM, 500));
        Map<String, ScaleChange> out = a.observe(List.of(p), List.of(worker("BUSY", "BUSY")), pending(7), ROOM, 1_500);
        assertEquals(new ScaleChange(1_500, 2, 4, "grow: busy share 100 %, 5 waiting"), out.get("wc/v1"));
        assertEquals(1, a.status().get("wc/v1").changes());
    }

    @Test
    void the_busy_share_is_averaged_over_the_recent_heartbeats_and_starting_instances_do_not_count() {
        Autoscaler a = new Autoscaler();
        PoolVersion p = pool(4, null);
        // one of two live instances busy in one beat of four: 12.5 % on average, below 0.3 (though each such beat
        // alone reads 50 %); the STARTING ones are not live and do not dilute the share
        Map<String, ScaleChange> out = Map.of();
        for (long t = 0; t <= 6_000 && out.isEmpty(); t += 500) {
            WorkerBeat beat = (t / 500) % 4 == 0 ? worker("BUSY", "IDLE", "STARTING", "STARTING") : worker("IDLE", "IDLE", "STARTING", "STARTING");
            out = a.observe(List.of(p), List.of(beat), Map.of(), ROOM, t);
        }
        assertEquals(2, out.get("wc/v1").to(), out.toString());
        assertEquals(4_500, out.get("wc/v1").at(), "low from the second beat (the first alone read 50 %), held 4 s");
    }

    @Test
    void a_new_master_waits_out_the_delay_since_the_last_change_in_the_metadata() {
        Autoscaler a = new Autoscaler(); // a new master: no readings of its own yet
        PoolVersion p = pool(2, new ScaleChange(10_000, 1, 2, "grow: ..."));
        for (long t = 10_000; t < 11_000; t += 500) {
            assertEquals(Map.of(), a.observe(List.of(p), List.of(worker("BUSY", "BUSY")), pending(9), ROOM, t), "at " + t);
        }
        assertEquals(4, a.observe(List.of(p), List.of(worker("BUSY", "BUSY")), pending(9), ROOM, 11_000).get("wc/v1").to());
    }

    @Test
    void no_room_on_the_workers_caps_the_pool_and_says_so() {
        Autoscaler a = new Autoscaler();
        PoolVersion p = pool(2, null);
        Map<String, Integer> room = Map.of("wc/v1", 2);
        for (long t = 0; t <= 3_000; t += 500) {
            assertEquals(Map.of(), a.observe(List.of(p), List.of(worker("BUSY", "BUSY")), pending(9), room, t));
        }
        assertTrue(a.status().get("wc/v1").capped());
        a.observe(List.of(p), List.of(worker("IDLE", "IDLE")), Map.of(), ROOM, 3_500);
        assertFalse(a.status().get("wc/v1").capped(), "no longer wanting more");
    }

    @Test
    void a_pool_without_autoscale_is_left_alone() {
        Autoscaler a = new Autoscaler();
        PoolVersion fixed = new PoolVersion(PoolDefinition.of("wc", "v1", List.of("python3")).withInstances(1), 1, 7);
        for (long t = 0; t <= 5_000; t += 500) {
            assertEquals(Map.of(), a.observe(List.of(fixed), List.of(worker("BUSY")), pending(50), ROOM, t));
        }
        assertEquals(Map.of(), a.status());
    }
}
