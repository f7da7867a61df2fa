package katamari.dispatcher.master;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import katamari.cluster.GatewayBeat;
import katamari.cluster.Placement;
import katamari.cluster.PoolVersion;
import katamari.cluster.ScaleChange;
import katamari.cluster.WorkerBeat;
import katamari.dispatcher.autoscale.Autoscaler;
import katamari.dispatcher.metadata.FencedStore;
import katamari.dispatcher.metadata.Mirrors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The master's side of autoscaling, every tick before placement: gathers what the {@link Autoscaler} reads (live
 * undrained workers, fresh gateway traffic, each pool-version's room on the workers) and writes its changes as
 * pool-versions with a new instance count, fenced and journaled like an operator's change, so a new master continues
 * from them. Placement then puts the new instances where there is most room. Runs on the duties thread.
 */
final class Scaling {
    private static final Logger LOG = LoggerFactory.getLogger(Scaling.class);
    /** Gateways beat every second; one silent for this long no longer counts (as in {@code GET /cluster}). */
    private static final Duration TRAFFIC_FRESH = Duration.ofSeconds(5);

    private final Autoscaler autoscaler = new Autoscaler();
    private final FencedStore store;
    private final Catalog catalog;
    private final Housekeeping liveness;
    private final Mirrors mirrors;

    Scaling(FencedStore store, Catalog catalog, Housekeeping liveness, Mirrors mirrors) {
        this.store = store;
        this.catalog = catalog;
        this.liveness = liveness;
        this.mirrors = mirrors;
    }

    Map<String, Autoscaler.Status> status() {
        return autoscaler.status();
    }

    void forget() {
        autoscaler.clear();
    }

    /** Writes the autoscaler's changes; the caller places right after, in the same tick. */
    void scale(long fence, long termAgeMillis, long now) {
        List<PoolVersion> versions = catalog.all();
        if (versions.stream().noneMatch(p -> p.definition().autoscale() != null)) {
            autoscaler.clear();
            return;
        }
        Set<String> drained = Master.drained(store);
        List<WorkerBeat> workers = liveness.liveWorkers(termAgeMillis).stream().filter(w -> !drained.contains(w.id())).toList();
        Map<String, ScaleChange> changes = autoscaler.observe(versions, workers, traffic(), room(versions, workers), now);
        changes.forEach((key, c) -> {
            PoolVersion next = catalog.get(key).scaledTo(c, fence);
            store.putPool(fence, next);
            catalog.put(next);
            LOG.info("autoscale {}: {} -> {} instances ({})", key, c.from(), c.to(), c.reason());
        });
    }

    /**
     * Per pool-version: the instances the workers that may run it could hold, i.e. their capacity less what the other
     * pool-versions are placed there with. Other pool-versions keep their instances: autoscaling never evicts a
     * neighbour to grow.
     */
    private Map<String, Integer> room(List<PoolVersion> versions, List<WorkerBeat> workers) {
        Map<String, Placement> placements = store.placements();
        Map<String, Integer> room = new HashMap<>();
        for (PoolVersion p : versions) {
            int total = 0;
            for (WorkerBeat w : workers) {
                if (w.refused().containsKey(p.key())) {
                    continue;
                }
                Placement placed = placements.get(w.id());
                int others = placed == null ? 0 : placed.total() - placed.instances().getOrDefault(p.key(), 0);
                total += Math.max(0, w.capacity() - others);
            }
            room.put(p.key(), total);
        }
        return room;
    }

    private Map<String, GatewayBeat.Traffic> traffic() {
        Map<String, GatewayBeat.Traffic> sum = new HashMap<>();
        mirrors.gateways().snapshot().forEach((id, beat) -> {
            long heard = mirrors.gateways().lastHeard(id);
            if (heard >= 0 && heard <= TRAFFIC_FRESH.toMillis()) {
                beat.traffic().forEach((key, t) -> sum.merge(key, t, GatewayBeat.Traffic::plus));
            }
        });
        return sum;
    }
}
