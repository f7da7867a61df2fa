package katamari.dispatcher.placement;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PlacerTest {
    private static Placer.Worker w(String id, int capacity, String... refused) {
        return new Placer.Worker(id, capacity, Set.of(refused));
    }

    @Test
    void instances_are_spread_evenly_over_the_workers() {
        Placer.Result r = Placer.place(List.of(w("a", 8), w("b", 8)), Map.of("echo/v1", 4, "fake/v1", 3), Map.of());
        assertEquals(Map.of("echo/v1", 2, "fake/v1", 2), r.placed().get("a"));
        assertEquals(Map.of("echo/v1", 2, "fake/v1", 1), r.placed().get("b"));
        assertEquals(Map.of(), r.unplaced());
    }

    @Test
    void the_worker_that_already_runs_more_keeps_the_larger_share() {
        Map<String, Map<String, Integer>> current = Map.of("b", Map.of("fake/v1", 2), "a", Map.of("fake/v1", 1));
        Placer.Result r = Placer.place(List.of(w("a", 8), w("b", 8)), Map.of("fake/v1", 3), current);
        assertEquals(Map.of("fake/v1", 1), r.placed().get("a"));
        assertEquals(Map.of("fake/v1", 2), r.placed().get("b"));
    }

    @Test
    void capacity_is_respected_and_what_does_not_fit_is_reported() {
        Placer.Result r = Placer.place(List.of(w("a", 1), w("b", 2)), Map.of("echo/v1", 5), Map.of());
        assertEquals(Map.of("echo/v1", 1), r.placed().get("a"));
        assertEquals(Map.of("echo/v1", 2), r.placed().get("b"));
        assertEquals(Map.of("echo/v1", 2), r.unplaced());
    }

    @Test
    void a_worker_that_refused_a_command_gets_none_of_it() {
        Placer.Result r = Placer.place(List.of(w("a", 8, "echo/v1"), w("b", 8)), Map.of("echo/v1", 4), Map.of());
        assertEquals(Map.of(), r.placed().get("a"));
        assertEquals(Map.of("echo/v1", 4), r.placed().get("b"));
    }

    @Test
    void a_dead_workers_share_moves_to_the_survivors() {
        Map<String, Map<String, Integer>> current = Map.of("a", Map.of("echo/v1", 2), "dead", Map.of("echo/v1", 2));
        Placer.Result r = Placer.place(List.of(w("a", 8)), Map.of("echo/v1", 4), current);
        assertEquals(Map.of("a", Map.of("echo/v1", 4)), r.placed());
    }

    @Test
    void a_new_instance_goes_to_the_least_loaded_worker() {
        // big/v1 fills four of a's eight places; the one echo/v1 instance an autoscaler adds goes to b, not to a by name
        Placer.Result r = Placer.place(List.of(w("a", 8), w("b", 8, "big/v1")), Map.of("big/v1", 4, "echo/v1", 1), Map.of());
        assertEquals(Map.of("big/v1", 4), r.placed().get("a"));
        assertEquals(Map.of("echo/v1", 1), r.placed().get("b"));
    }
}
