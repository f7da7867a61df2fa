package katamari.gateway.routing;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.LifecycleEvent;
import java.time.Duration;
import java.util.Map;
import java.util.function.Supplier;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import katamari.cluster.ClusterMaps;
import katamari.cluster.ClusterMetadata;
import katamari.cluster.GatewayBeat;
import katamari.cluster.MapMirror;
import katamari.cluster.PoolVersion;
import katamari.cluster.WorkerBeat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a gateway's {@link PoolDirectory} equal to the masters' pool set: a listener on {@value ClusterMaps#POOLS}
 * replaces the snapshot on every change (a new pool is routable as soon as its event arrives, a deleted one answers
 * {@code pool_not_found}), and a periodic resync covers events missed while the client reconnected. Also heartbeats
 * the gateway into {@value ClusterMaps#GATEWAYS}, so that the master deletes its reply topic once it is gone, and
 * follows the workers' heartbeats ({@value ClusterMaps#WORKERS}) for the stats faceplate.
 */
public final class ClusterPools implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterPools.class);
    /** Also how fresh the traffic counts a rollout watches are. */
    private static final Duration BEAT = Duration.ofSeconds(1);
    private static final Duration RESYNC = Duration.ofSeconds(5);

    private final HazelcastInstance hz;
    private final ClusterMetadata metadata;
    private final PoolDirectory directory;
    private final GatewayBeat identity;
    private final Supplier<Map<String, GatewayBeat.Traffic>> traffic;
    private final ScheduledExecutorService work = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "gateway-cluster");
        t.setDaemon(true);
        return t;
    });
    private volatile MapMirror<PoolVersion> pools;
    private volatile MapMirror<WorkerBeat> workers;

    /** @param traffic what the gateway has seen per pool-version, published with every heartbeat */
    public ClusterPools(HazelcastInstance hz, PoolDirectory directory, GatewayBeat identity, Supplier<Map<String, GatewayBeat.Traffic>> traffic) {
        this.hz = hz;
        this.metadata = new ClusterMetadata(hz);
        this.directory = directory;
        this.identity = identity;
        this.traffic = traffic;
    }

    /** Returns once the directory holds the current pool set. */
    public ClusterPools start() {
        pools = metadata.pools(key -> refreshDirectory());
        refreshDirectory(); // also takes what changed while the mirror loaded, before the field was set
        workers = metadata.workers(key -> { });
        hz.getLifecycleService().addLifecycleListener(e -> {
            if (e.getState() == LifecycleEvent.LifecycleState.CLIENT_CONNECTED) {
                work.execute(pools::resync);
                work.execute(workers::resync);
            }
        });
        work.scheduleWithFixedDelay(this::beat, 0, BEAT.toMillis(), TimeUnit.MILLISECONDS);
        work.scheduleWithFixedDelay(pools::resync, RESYNC.toMillis(), RESYNC.toMillis(), TimeUnit.MILLISECONDS);
        work.scheduleWithFixedDelay(workers::resync, RESYNC.toMillis(), RESYNC.toMillis(), TimeUnit.MILLISECONDS);
        LOG.info("gateway {} follows the cluster's pool set ({} pool-version(s) now)", identity.id(), pools.snapshot().size());
        return this;
    }

    /**
     * The directory from the mirror; a change the mirror announces while it is still being made (its first load
     * runs the listener) finds no mirror yet, and the refresh right after {@link #start}'s assignment covers it.
     */
    private void refreshDirectory() {
        MapMirror<PoolVersion> p = pools;
        if (p != null) {
            directory.replace(p.snapshot().values());
        }
    }

    /** The workers' latest heartbeats (a local copy; a worker that died stays until the master evicts it). */
    public Map<String, WorkerBeat> workers() {
        return workers == null ? Map.of() : workers.snapshot();
    }

    private void beat() {
        try {
            metadata.putGateway(new GatewayBeat(identity.id(), identity.replyTopic(), identity.url(), System.currentTimeMillis(), traffic.get()));
        } catch (RuntimeException e) {
            LOG.debug("gateway heartbeat failed (will retry): {}", e.toString());
        }
    }

    @Override
    public void close() {
        work.shutdownNow();
        if (pools != null) {
            pools.close();
        }
        if (workers != null) {
            workers.close();
        }
    }
}
