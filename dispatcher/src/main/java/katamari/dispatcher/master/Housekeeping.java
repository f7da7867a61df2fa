package katamari.dispatcher.master;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import katamari.cluster.GatewayBeat;
import katamari.cluster.MapMirror;
import katamari.cluster.PoolVersion;
import katamari.cluster.WorkerBeat;
import katamari.config.ClusterSettings;
import katamari.dispatcher.metadata.FencedStore;
import katamari.dispatcher.metadata.Mirrors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Liveness and clean-up, every tick of the duties thread: which workers are alive, evicting the silent ones,
 * putting back pool entries this master did not write, forgetting gateways gone for their TTL (and their reply
 * topics). Silence is counted from the term's start at most: a new master gives everyone a chance.
 */
final class Housekeeping {
    private static final Logger LOG = LoggerFactory.getLogger(Housekeeping.class);

    private final ClusterSettings cluster;
    private final Mirrors mirrors;
    private final FencedStore store;
    private final Catalog catalog;
    private final TopicJobs topics;

    Housekeeping(ClusterSettings cluster, Mirrors mirrors, FencedStore store, Catalog catalog, TopicJobs topics) {
        this.cluster = cluster;
        this.mirrors = mirrors;
        this.store = store;
        this.catalog = catalog;
        this.topics = topics;
    }

    /** Workers heard of within the worker TTL. */
    List<WorkerBeat> liveWorkers(long termAgeMillis) {
        List<WorkerBeat> live = new ArrayList<>();
        mirrors.workers().snapshot().forEach((id, beat) -> {
            if (silentMillis(mirrors.workers(), id, termAgeMillis) <= cluster.workerTtl().toMillis()) {
                live.add(beat);
            }
        });
        return live;
    }

    void evictSilentWorkers(long fence, long termAgeMillis) {
        for (String id : mirrors.workers().snapshot().keySet()) {
            long silent = silentMillis(mirrors.workers(), id, termAgeMillis);
            if (silent > cluster.workerTtl().toMillis()) {
                LOG.warn("evicting worker {}: no heartbeat for {} ms (TTL {} ms); its instances go elsewhere",
                        id, silent, cluster.workerTtl().toMillis());
                store.removeWorker(fence, id);
            }
        }
    }

    /** Anything in the pool map this master did not write (a late write of a deposed master) is put back. */
    void repairPools(long fence) {
        Map<String, PoolVersion> raw = store.pools();
        for (PoolVersion p : catalog.all()) {
            if (!p.equals(raw.get(p.key()))) {
                LOG.warn("repairing pool-version {}: the map did not hold what this master wrote", p.key());
                store.putPool(fence, p);
            }
        }
        for (PoolVersion p : raw.values()) {
            if (!catalog.has(p.key()) && (!p.deleted() || p.fence() != fence)) {
                LOG.warn("tombstoning pool-version {}: this master did not write it", p.key());
                store.putPool(fence, p.tombstone(fence));
            }
        }
    }

    void forgetGoneGateways(long fence, long termAgeMillis) {
        long ttl = cluster.gatewayTtl().toMillis();
        for (Map.Entry<String, GatewayBeat> e : mirrors.gateways().snapshot().entrySet()) {
            if (silentMillis(mirrors.gateways(), e.getKey(), termAgeMillis) > ttl) {
                LOG.info("gateway {} silent for over {} ms: forgetting it", e.getKey(), ttl);
                store.removeGateway(fence, e.getKey());
                topics.deleteReplyTopic(e.getKey(), e.getValue().replyTopic());
            }
        }
    }

    private static long silentMillis(MapMirror<?> mirror, String key, long termAgeMillis) {
        long heard = mirror.lastHeard(key);
        return Math.min(heard < 0 ? Long.MAX_VALUE : heard, termAgeMillis);
    }
}
