package katamari.dispatcher.master;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import katamari.cluster.Drain;
import katamari.cluster.PoolVersion;
import katamari.config.PoolDefinition;
import katamari.dispatcher.metadata.FencedStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator's changes through the admin API, each under the fence of the current term and on the duties thread:
 * create or replace a pool-version, set routing weights, drain a worker, delete versions. The catalog follows every
 * write; the caller places afterwards.
 */
final class PoolEdits {
    private static final Logger LOG = LoggerFactory.getLogger(PoolEdits.class);

    private final FencedStore store;
    private final Catalog catalog;

    PoolEdits(FencedStore store, Catalog catalog) {
        this.store = store;
        this.catalog = catalog;
    }

    /** An autoscaled pool-version's {@code instances} is where it starts: brought within its bounds here. */
    PoolVersion upsert(long fence, PoolVersion requested) {
        PoolDefinition d = requested.definition();
        if (d.autoscale() != null && d.autoscale().clamp(d.instances()) != d.instances()) {
            requested = new PoolVersion(d.withInstances(d.autoscale().clamp(d.instances())), requested.weight(), requested.fence());
        }
        PoolVersion stamped = requested.withFence(fence);
        store.putPool(fence, stamped);
        catalog.put(stamped);
        LOG.info("pool {} stored (instances {}, weight {}, fence {})", stamped.key(), stamped.definition().instances(), stamped.weight(), fence);
        return stamped;
    }

    /**
     * Sets the weights of the named versions of {@code pool}; nothing is written unless every named version exists.
     *
     * @return the pool's versions after the change
     * @throws IllegalArgumentException naming the versions that do not exist
     */
    List<PoolVersion> setWeights(long fence, String pool, Map<String, Integer> weights) {
        List<String> missing = weights.keySet().stream().filter(v -> !catalog.has(pool + "/" + v)).sorted().toList();
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException("pool '" + pool + "' has no version(s) " + missing);
        }
        // one key at a time, so versions that gain weight first: moving all traffic from v1 to v2 must never
        // show gateways a moment where every weight is 0 (they would answer pool_not_found in between)
        List<Map.Entry<String, Integer>> order = new ArrayList<>(weights.entrySet());
        order.sort((a, b) -> Boolean.compare(a.getValue() == 0, b.getValue() == 0));
        for (Map.Entry<String, Integer> w : order) {
            PoolVersion now = catalog.get(pool + "/" + w.getKey());
            if (now.weight() != w.getValue()) {
                PoolVersion next = now.withWeight(w.getValue(), fence);
                store.putPool(fence, next);
                catalog.put(next);
            }
        }
        List<PoolVersion> out = catalog.versionsOf(pool);
        LOG.info("weights of pool {} now {}", pool, out.stream().map(p -> p.definition().version() + "=" + p.weight()).toList());
        return out;
    }

    /**
     * Drains a worker (it keeps what is in flight, then runs nothing: its placement becomes empty) or undrains it.
     * Stored as fenced metadata, so a new master keeps the drain.
     */
    Drain drain(long fence, String worker, boolean draining) {
        Drain next = new Drain(worker, draining, fence);
        store.putDrain(fence, next);
        LOG.info("worker {} {}", worker, draining ? "drained by the operator: its instances stop" : "undrained: it gets work again");
        return next;
    }

    /**
     * Tombstones one version of {@code pool}, or all of them when {@code version} is null.
     *
     * @return the keys removed (empty if none matched)
     */
    List<String> delete(long fence, String pool, String version) {
        List<String> gone = new ArrayList<>();
        for (String key : catalog.keys()) {
            PoolDefinition d = catalog.get(key).definition();
            if (d.name().equals(pool) && (version == null || d.version().equals(version))) {
                store.putPool(fence, catalog.get(key).tombstone(fence));
                catalog.remove(key);
                gone.add(key);
            }
        }
        if (!gone.isEmpty()) {
            LOG.info("pool-version(s) {} deleted (fence {})", gone, fence);
        }
        return gone;
    }
}
