package katamari.gateway.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import java.util.Map;
import java.util.function.BooleanSupplier;
import katamari.gateway.GatewayException;
import katamari.gateway.calls.PoolCalls;
import katamari.topics.ErrorCode;
import katamari.topics.Request;
import katamari.topics.WireCodec;

/** {@code POST /pools/{pool}/{method}}, {@code GET /healthz}, {@code GET /readyz}. */
final class PoolRoutes {
    private final PoolCalls calls;
    private final Arrivals arrivals;
    private final RequestBodies bodies;
    private final BooleanSupplier ready;
    private final Disconnects disconnects;

    PoolRoutes(PoolCalls calls, Arrivals arrivals, RequestBodies bodies, BooleanSupplier ready, Disconnects disconnects) {
        this.calls = calls;
        this.arrivals = arrivals;
        this.bodies = bodies;
        this.ready = ready;
        this.disconnects = disconnects;
    }

    void register(JavalinConfig config) {
        config.routes.post("/pools/{pool}/{method}", this::call);
        config.routes.get("/healthz", ctx -> ctx.json(Map.of("status", "ok")));
        config.routes.get("/readyz", ctx -> ctx.status(ready.getAsBoolean() ? 200 : 503)
                .json(Map.of("ready", ready.getAsBoolean())));
    }

    private void call(Context ctx) {
        Arrivals.Arrival arrival = arrivals.of(ctx);
        String pin = pin(ctx);
        ObjectNode args = args(ctx.bodyAsBytes());
        String id = ErrorResponses.requestId(ctx);
        PoolCalls.Call call = calls.call(arrival.who(), new PoolCalls.Target(ctx.pathParam("pool"), pin, arrival.routeKey()),
                id, new Request(ctx.pathParam("method"), args), arrival.deadline(),
                new PoolCalls.Asked(arrival.hedgeMs(), arrival.quorum(), arrival.bypassCache()));
        ctx.header(ErrorResponses.VERSION_HEADER, call.routed().version());
        if (call.cache().wire() != null) {
            ctx.header(Arrivals.CACHE_HEADER, call.cache().wire());
        }
        disconnects.watch(ctx, call.answer(), () -> calls.cancellations().abandon(id));
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
}
