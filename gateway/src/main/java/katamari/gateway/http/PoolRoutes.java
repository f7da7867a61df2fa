package katamari.gateway.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import java.time.Duration;
import java.util.Map;
import java.util.function.BooleanSupplier;
import katamari.gateway.GatewayException;
import katamari.gateway.auth.ApiClient;
import katamari.gateway.calls.PoolCalls;
import katamari.topics.ErrorCode;
import katamari.topics.Request;
import katamari.topics.WireCodec;

/** {@code POST /pools/{pool}/{method}}, {@code GET /healthz}, {@code GET /readyz}. */
final class PoolRoutes {
    static final String TIMEOUT_HEADER = "Katamari-Timeout-Ms";
    static final String ROUTE_KEY_HEADER = "Katamari-Route-Key";

    private final PoolCalls calls;
    private final Access access;
    private final RequestBodies bodies;
    private final Duration globalTimeout;
    private final BooleanSupplier ready;

    PoolRoutes(PoolCalls calls, Access access, RequestBodies bodies, Duration globalTimeout, BooleanSupplier ready) {
        this.calls = calls;
        this.access = access;
        this.bodies = bodies;
        this.globalTimeout = globalTimeout;
        this.ready = ready;
    }

    void register(JavalinConfig config) {
        config.routes.post("/pools/{pool}/{method}", this::call);
        config.routes.get("/healthz", ctx -> ctx.json(Map.of("status", "ok")));
        config.routes.get("/readyz", ctx -> ctx.status(ready.getAsBoolean() ? 200 : 503)
                .json(Map.of("ready", ready.getAsBoolean())));
    }

    private void call(Context ctx) {
        ApiClient who = access.caller(ctx);
        String pin = pin(ctx);
        ObjectNode args = args(ctx.bodyAsBytes());
        long deadline = System.currentTimeMillis() + timeout(ctx.header(TIMEOUT_HEADER), globalTimeout).toMillis();
        PoolCalls.Call call = calls.call(who, new PoolCalls.Target(ctx.pathParam("pool"), pin, ctx.header(ROUTE_KEY_HEADER)),
                ErrorResponses.requestId(ctx), new Request(ctx.pathParam("method"), args), deadline);
        ctx.header(ErrorResponses.VERSION_HEADER, call.routed().version());
        ctx.future(() -> call.answer().thenAccept(a -> ErrorResponses.write(ctx, a)));
    }

    /** {@code ?version=} or the {@code Katamari-Version} header (the same if both are given). */
    private static String pin(Context ctx) {
        String query = ctx.queryParam("version");
        String header = ctx.header(ErrorResponses.VERSION_HEADER);
        if (query != null && header != null && !query.equals(header)) {
            throw new GatewayException(ErrorCode.BAD_REQUEST, "?version=" + query + " and header " + ErrorResponses.VERSION_HEADER + ": "
                    + header + " pin different versions");
        }
        return query != null ? query : header;
    }

    private ObjectNode args(byte[] body) {
        JsonNode node;
        try {
            node = bodies.parse(body);
        } catch (RequestBodies.Refused e) {
            throw new GatewayException(ErrorCode.BAD_REQUEST, e.getMessage());
        }
        if (node == null) {
            return WireCodec.mapper().createObjectNode();
        }
        if (!node.isObject()) {
            throw new GatewayException(ErrorCode.BAD_REQUEST, "the body must be a JSON object of named arguments, not " + node.getNodeType().name().toLowerCase());
        }
        return (ObjectNode) node;
    }

    /** The {@code Katamari-Timeout-Ms} header, capped by the global timeout. */
    static Duration timeout(String header, Duration globalTimeout) {
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
