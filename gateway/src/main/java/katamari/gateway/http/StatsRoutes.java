package katamari.gateway.http;

import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import katamari.gateway.auth.ApiClient;
import katamari.gateway.stats.GatewayStats;
import katamari.cluster.MetadataJson;

/**
 * The stats faceplate: {@code GET /stats} (JSON, only the pools the caller's key may call) and {@code GET /metrics}
 * (Prometheus text format; needs a key that may call every pool, as it names them all).
 */
final class StatsRoutes {
    private final GatewayStats stats;
    private final Access access;

    StatsRoutes(GatewayStats stats, Access access) {
        this.stats = stats;
        this.access = access;
    }

    void register(JavalinConfig config) {
        config.routes.get("/stats", this::stats);
        config.routes.get("/metrics", this::metrics);
    }

    private void stats(Context ctx) {
        ApiClient who = access.caller(Incoming.of(ctx));
        ctx.contentType("application/json").result(MetadataJson.encode(stats.view(who::mayCall)));
    }

    private void metrics(Context ctx) {
        access.everyPool(Incoming.of(ctx));
        ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(stats.prometheus());
    }
}
