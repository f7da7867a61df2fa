package katamari.gateway.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import katamari.config.PoolDefinition;
import katamari.client.KatamariClient;
import katamari.gateway.routing.PoolDirectory;
import katamari.topics.ErrorCode;
import katamari.topics.MalformedRecordException;
import katamari.topics.Request;
import katamari.topics.WireCodec;

/** {@code POST /pools/{pool}/{method}}, {@code GET /healthz}, {@code GET /readyz}. */
public final class PoolRoutes {
    static final String TIMEOUT_HEADER = "Katamari-Timeout-Ms";

    private final PoolDirectory pools;
    private final KatamariClient client;
    private final Duration globalTimeout;
    private final BooleanSupplier ready;

    public PoolRoutes(PoolDirectory pools, KatamariClient client, Duration globalTimeout, BooleanSupplier ready) {
        this.pools = pools;
        this.client = client;
        this.globalTimeout = globalTimeout;
        this.ready = ready;
    }

    public void register(JavalinConfig config) {
        config.routes.post("/pools/{pool}/{method}", this::call);
        config.routes.get("/healthz", ctx -> ctx.json(Map.of("status", "ok")));
        config.routes.get("/readyz", ctx -> ctx.status(ready.getAsBoolean() ? 200 : 503)
                .json(Map.of("ready", ready.getAsBoolean())));
        config.routes.exception(GatewayException.class, (e, ctx) -> ErrorResponses.refused(ctx, e));
        config.routes.exception(HttpResponseException.class, (e, ctx) -> ErrorResponses.http(ctx, e));
        config.routes.exception(Exception.class, (e, ctx) -> ErrorResponses.unexpected(ctx, e));
    }

    private void call(Context ctx) {
        String id = UUID.randomUUID().toString();
        ctx.attribute(ErrorResponses.ID_HEADER, id);
        String poolName = ctx.pathParam("pool");
        String pin = ctx.queryParam("version");
        PoolDefinition pool = pools.route(poolName, pin).orElseThrow(() -> new GatewayException(ErrorCode.POOL_NOT_FOUND,
                pin == null ? "no pool named '" + poolName + "'" : "pool '" + poolName + "' has no version '" + pin + "'"));
        ObjectNode args = args(ctx.bodyAsBytes());
        long deadline = System.currentTimeMillis() + timeout(ctx.header(TIMEOUT_HEADER)).toMillis();
        var answer = client.call(pool.name(), pool.version(), id, new Request(ctx.pathParam("method"), args), deadline, pin);
        ctx.future(() -> answer.thenAccept(a -> ErrorResponses.write(ctx, a)));
    }

    private static ObjectNode args(byte[] body) {
        if (body.length == 0) {
            return WireCodec.mapper().createObjectNode();
        }
        JsonNode node;
        try {
            node = WireCodec.parse(body);
        } catch (MalformedRecordException e) {
            throw new GatewayException(ErrorCode.BAD_REQUEST, "the body is not valid JSON: " + e.getMessage());
        }
        if (!node.isObject()) {
            throw new GatewayException(ErrorCode.BAD_REQUEST, "the body must be a JSON object of named arguments, not " + node.getNodeType().name().toLowerCase());
        }
        return (ObjectNode) node;
    }

    private Duration timeout(String header) {
        if (header == null) {
            return globalTimeout;
        }
        long ms;
        try {
            ms = Long.parseLong(header.trim());
        } catch (NumberFormatException e) {
            throw new GatewayException(ErrorCode.BAD_REQUEST, TIMEOUT_HEADER + " must be a whole number of milliseconds, was '" + header + "'");
        }
        if (ms <= 0) {
            throw new GatewayException(ErrorCode.BAD_REQUEST, TIMEOUT_HEADER + " must be positive, was " + ms);
        }
        return ms < globalTimeout.toMillis() ? Duration.ofMillis(ms) : globalTimeout;
    }
}
