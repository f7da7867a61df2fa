package katamari.dispatcher.master;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import katamari.cluster.Placement;
import katamari.dispatcher.metadata.FencedStore;
import katamari.dispatcher.placement.Placer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Places every pool-version of the {@link Catalog} on the live, undrained workers ({@link Placer} decides) and writes
 * the placements that changed or still carry an older fence. Runs on the duties thread.
 */
final class InstancePlacement {
    private static final Logger LOG = LoggerFactory.getLogger(InstancePlacement.class);

    private final FencedStore store;
    private final Catalog catalog;
    private final Housekeeping liveness;
    private volatile Map<String, Integer> unplaced = Map.of();

    InstancePlacement(FencedStore store, Catalog catalog, Housekeeping liveness) {
        this.store = store;
        this.catalog = catalog;
        this.liveness = liveness;
    }

    /** {@code pool/version} → instances that fit nowhere at the last placement. */
    Map<String, Integer> unplaced() {
        return unplaced;
    }

    void place(long fence, long termAgeMillis) {
        Set<String> drained = Master.drained(store);
        List<Placer.Worker> workers = liveness.liveWorkers(termAgeMillis).stream()
                .filter(b -> !drained.contains(b.id())) // a drained worker gets the empty placement of a gone one
                .map(b -> new Placer.Worker(b.id(), b.capacity(), b.refused().keySet())).toList();
        Map<String, Placement> raw = store.placements();
        Map<String, Map<String, Integer>> current = new HashMap<>();
        raw.forEach((id, p) -> current.put(id, p.instances()));
        Placer.Result result = Placer.place(workers, catalog.wantedInstances(), current);
        unplaced = Map.copyOf(result.unplaced());
        for (Map.Entry<String, Map<String, Integer>> e : result.placed().entrySet()) {
            Placement next = new Placement(e.getKey(), e.getValue(), fence);
            Placement now = raw.get(e.getKey());
            if (now == null || !now.sameAs(next) || now.fence() != fence) {
                store.putPlacement(fence, next);
                if (now == null || !now.sameAs(next)) {
                    LOG.info("placement of worker {}: {}", e.getKey(), next.instances());
                }
            }
        }
        // a worker that is gone gets an empty placement, never a removal: absence means "no news" to a worker
        for (Map.Entry<String, Placement> e : raw.entrySet()) {
            if (!result.placed().containsKey(e.getKey()) && (e.getValue().total() > 0 || e.getValue().fence() != fence)) {
                store.putPlacement(fence, new Placement(e.getKey(), Map.of(), fence));
            }
        }
    }
}
