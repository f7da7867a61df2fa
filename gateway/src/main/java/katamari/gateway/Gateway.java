package katamari.gateway;

import com.hazelcast.core.HazelcastInstance;
import io.javalin.Javalin;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import katamari.client.KatamariClient;
import katamari.cluster.GatewayBeat;
import katamari.config.KatamariConfig;
import katamari.gateway.http.PoolRoutes;
import katamari.gateway.routing.ClusterPools;
import katamari.gateway.routing.PoolDirectory;
import katamari.topics.TopicNames;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP faceplate. {@link #start()} creates this gateway's reply topic, starts its reply consumer, then serves;
 * {@code /readyz} reports ready only once the reply consumer is positioned.
 */
public final class Gateway implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Gateway.class);

    private enum State { NEW, STARTED, CLOSED }

    private final AtomicReference<State> state = new AtomicReference<>(State.NEW);
    private final KatamariConfig config;
    private final HazelcastInstance cluster;
    private final PoolDirectory directory;
    private final String id;
    private ClusterPools clusterPools;
    private KatamariClient client;
    private Javalin http;

    /** A gateway that routes to the pools of the config file (no cluster). */
    public Gateway(KatamariConfig config) {
        this(config, null);
    }

    /**
     * @param cluster a Hazelcast client (or member) to follow the masters' pool set through; null routes to the
     *                config file's pools. The caller owns it and shuts it down after {@link #close()}.
     */
    public Gateway(KatamariConfig config, HazelcastInstance cluster) {
        this.config = config;
        this.cluster = cluster;
        this.directory = cluster == null ? new PoolDirectory(config.pools()) : PoolDirectory.empty();
        this.id = config.gateway().id() != null ? config.gateway().id() : "gw-" + UUID.randomUUID().toString().substring(0, 8);
    }

    public String replyTopic() {
        return TopicNames.replies(id);
    }

    public void start() {
        if (!state.compareAndSet(State.NEW, State.STARTED)) {
            throw new IllegalStateException("gateway cannot be started more than once (state " + state.get() + ")");
        }
        client = new KatamariClient(config.kafka(), replyTopic());
        client.start();
        if (cluster != null) {
            String url = "http://" + config.gateway().host() + ":" + config.gateway().port();
            clusterPools = new ClusterPools(cluster, directory, new GatewayBeat(id, replyTopic(), url, 0)).start();
        }
        PoolRoutes routes = new PoolRoutes(directory, client, config.gateway().timeout(), this::isReady);
        http = Javalin.create(c -> {
            c.http.maxRequestSize = config.gateway().maxBodyBytes();
            c.startup.showJavalinBanner = false;
            routes.register(c);
        }).start(config.gateway().host(), config.gateway().port());
        LOG.info("gateway {} serving on http://{}:{} (replies on {})", id, config.gateway().host(), port(), replyTopic());
    }

    public int port() {
        return http.port();
    }

    public boolean isReady() {
        return state.get() == State.STARTED && client != null && client.isReady();
    }

    @Override
    public void close() {
        if (state.getAndSet(State.CLOSED) != State.STARTED) {
            return;
        }
        if (http != null) {
            http.stop();
        }
        client.close();
        if (clusterPools != null) {
            clusterPools.close();
        }
        LOG.info("gateway {} stopped", id);
    }
}
