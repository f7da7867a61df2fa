package katamari.gateway.routing;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.LifecycleEvent;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import katamari.cluster.ClusterMaps;
import katamari.cluster.GatewayBeat;
import katamari.cluster.MapMirror;
import katamari.cluster.MetadataJson;
import katamari.cluster.PoolVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a gateway's {@link PoolDirectory} equal to the masters' pool set: a listener on {@value ClusterMaps#POOLS}
 * replaces the snapshot on every change (a new pool is routable as soon as its event arrives, a deleted one answers
 * {@code pool_not_found}), and a periodic resync covers events missed while the client reconnected. Also heartbeats
 * the gateway into {@value ClusterMaps#GATEWAYS}, so that the master deletes its reply topic once it is gone.
 */
public final class ClusterPools implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterPools.class);
    private static final Duration BEAT = Duration.ofSeconds(2);
    private static final Duration RESYNC = Duration.ofSeconds(5);

    private final HazelcastInstance hz;
    private final PoolDirectory directory;
    private final GatewayBeat identity;
    private final ScheduledExecutorService work = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "gateway-cluster");
        t.setDaemon(true);
        return t;
    });
    private MapMirror<PoolVersion> pools;

    public ClusterPools(HazelcastInstance hz, PoolDirectory directory, GatewayBeat identity) {
        this.hz = hz;
        this.directory = directory;
        this.identity = identity;
    }

    /** Returns once the directory holds the current pool set. */
    public ClusterPools start() {
        pools = new MapMirror<>(hz.getReplicatedMap(ClusterMaps.POOLS), PoolVersion.class,
                key -> directory.replace(pools.snapshot().values()));
        pools.start();
        directory.replace(pools.snapshot().values());
        hz.getLifecycleService().addLifecycleListener(e -> {
            if (e.getState() == LifecycleEvent.LifecycleState.CLIENT_CONNECTED) {
                work.execute(pools::resync);
            }
        });
        work.scheduleWithFixedDelay(this::beat, 0, BEAT.toMillis(), TimeUnit.MILLISECONDS);
        work.scheduleWithFixedDelay(pools::resync, RESYNC.toMillis(), RESYNC.toMillis(), TimeUnit.MILLISECONDS);
        LOG.info("gateway {} follows the cluster's pool set ({} pool-version(s) now)", identity.id(), pools.snapshot().size());
        return this;
    }

    private void beat() {
        try {
            hz.<String, String>getReplicatedMap(ClusterMaps.GATEWAYS).put(identity.id(), MetadataJson.encode(
                    new GatewayBeat(identity.id(), identity.replyTopic(), identity.url(), System.currentTimeMillis())));
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
    }
}
