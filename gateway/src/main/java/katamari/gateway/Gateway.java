package katamari.gateway;

import com.hazelcast.core.HazelcastInstance;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import katamari.client.KatamariClient;
import katamari.cluster.GatewayBeat;
import katamari.cluster.ResponseCache;
import katamari.config.KatamariConfig;
import katamari.gateway.auth.ApiKeys;
import katamari.gateway.calls.Backpressure;
import katamari.gateway.calls.PoolCalls;
import katamari.gateway.http.HttpFaceplate;
import katamari.gateway.routing.ClusterPools;
import katamari.gateway.routing.PoolDirectory;
import katamari.gateway.stats.GatewayStats;
import katamari.topics.TopicNames;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The faceplates: HTTP routes, JSON-RPC, stats and metrics. {@link #start()} checks the API keys, creates this
 * gateway's reply topic, starts its reply consumer, then serves; {@code /readyz} reports ready only once the reply
 * consumer is positioned.
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
    private volatile GatewayStats stats;
    private HttpFaceplate http;

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
        ApiKeys keys = ApiKeys.of(config.gateway()); // before anything starts: a gateway without keys must not half-start
        if (!state.compareAndSet(State.NEW, State.STARTED)) {
            throw new IllegalStateException("gateway cannot be started more than once (state " + state.get() + ")");
        }
        if (keys.open()) {
            LOG.warn("!!! gateway {} is OPEN: no API keys (gateway.apiKeys), anyone who reaches it may call every pool. Dev only. !!!", id);
        } else {
            LOG.info("gateway {} serves {} API key(s): {}", id, config.gateway().apiKeys().size(), config.gateway().apiKeys().keySet());
        }
        client = new KatamariClient(config.kafka(), replyTopic());
        client.start();
        if (cluster != null) {
            String url = "http://" + config.gateway().host() + ":" + config.gateway().port();
            clusterPools = new ClusterPools(cluster, directory, new GatewayBeat(id, replyTopic(), url, 0),
                    () -> stats == null ? java.util.Map.of() : stats.traffic()).start();
        }
        Backpressure backpressure = new Backpressure(config.gateway().maxPending());
        ResponseCache cache = cluster == null ? null : new ResponseCache(cluster);
        stats = new GatewayStats(id, directory, backpressure, clusterPools == null ? null : clusterPools::workers, config.kafka(), cache);
        PoolCalls calls = new PoolCalls(directory, client, backpressure, stats, config.gateway().maxQuorum(), cache);
        http = new HttpFaceplate(config.gateway(), calls, keys, stats, this::isReady)
                .start(config.gateway().host(), config.gateway().port());
        LOG.info("gateway {} serving on http://{}:{} (replies on {})", id, config.gateway().host(), port(), replyTopic());
    }

    public int port() {
        return http.port();
    }

    /** The routes the server serves, as {@code "METHOD /path"} (what {@code GET /openapi.json} describes). */
    public List<String> routes() {
        return http.routes();
    }

    /** Whether this gateway serves every pool without an API key. */
    public boolean isOpen() {
        return config.gateway().apiKeys().isEmpty();
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
        if (client != null) {
            client.close();
        }
        if (stats != null) {
            stats.close();
        }
        if (clusterPools != null) {
            clusterPools.close();
        }
        LOG.info("gateway {} stopped", id);
    }
}
