package katamari.gateway.http;

import io.javalin.Javalin;
import io.javalin.http.HttpResponseException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import katamari.config.GatewaySettings;
import katamari.gateway.GatewayException;
import katamari.gateway.auth.ApiKeys;
import katamari.gateway.calls.PoolCalls;
import katamari.gateway.stats.GatewayStats;

/**
 * The gateway's HTTP server: pool routes, JSON-RPC, stats and metrics, health, and its own OpenAPI description
 * ({@code GET /openapi.json}, a hand-written resource that a test compares with {@link #routes}), and cancels
 * ({@code DELETE /requests/{id}}; a call whose HTTP client leaves is cancelled too, {@link Disconnects}). Every
 * response carries the request id; every refusal goes through {@link ErrorResponses}.
 */
public final class HttpFaceplate {
    static final String OPENAPI_RESOURCE = "/katamari/gateway/openapi.json";
    /** Jetty's limit on the request line plus headers (its default, set here so the refusals can say it). */
    static final int MAX_HEADER_BYTES = 8192;

    private final Javalin http;
    private final Disconnects disconnects = new Disconnects();

    public HttpFaceplate(GatewaySettings settings, PoolCalls calls, ApiKeys keys, GatewayStats stats, BooleanSupplier ready) {
        Access access = new Access(keys);
        RequestBodies bodies = new RequestBodies(settings);
        byte[] openapi = openapi();
        Arrivals arrivals = new Arrivals(access, settings.timeout());
        PoolRoute pools = new PoolRoute(calls, arrivals, bodies, disconnects, settings.maxBodyBytes());
        RpcRoutes rpc = new RpcRoutes(calls, arrivals, bodies, settings.maxBatch(), disconnects);
        CancelRoutes cancels = new CancelRoutes(calls.cancellations(), access);
        StatsRoutes statsRoutes = new StatsRoutes(stats, access);
        http = Javalin.create(c -> {
            c.http.maxRequestSize = settings.maxBodyBytes();
            c.startup.showJavalinBanner = false;
            c.jetty.modifyHttpConfiguration(h -> h.setRequestHeaderSize(MAX_HEADER_BYTES));
            c.jetty.modifyServer(server -> {
                server.setErrorHandler(new JettyErrors());
                // in front of Javalin's servlet, which Javalin puts inside it: everything but the pool route passes through
                server.setHandler(pools);
            });
            c.routes.before(ErrorResponses::assignId);
            c.routes.after(ErrorResponses::forgetId);
            c.routes.get("/healthz", ctx -> ctx.json(Map.of("status", "ok")));
            c.routes.get("/readyz", ctx -> ctx.status(ready.getAsBoolean() ? 200 : 503).json(Map.of("ready", ready.getAsBoolean())));
            rpc.register(c);
            cancels.register(c);
            statsRoutes.register(c);
            c.routes.get("/openapi.json", ctx -> ctx.contentType("application/json").result(openapi));
            c.routes.exception(GatewayException.class, (e, ctx) -> ErrorResponses.refused(ctx, e));
            c.routes.exception(HttpResponseException.class, (e, ctx) -> ErrorResponses.http(ctx, e));
            c.routes.exception(Exception.class, (e, ctx) -> ErrorResponses.unexpected(ctx, e));
        });
    }

    public HttpFaceplate start(String host, int port) {
        disconnects.start();
        http.start(host, port);
        return this;
    }

    public int port() {
        return http.port();
    }

    /** The routes the server serves, as {@code "METHOD /path/{param}"}: the pool route, then Javalin's in the order they were registered. */
    public List<String> routes() {
        return Stream.concat(Stream.of(POOL_ROUTE), http.unsafe.internalRouter.allHttpHandlers().stream()
                .filter(h -> h.endpoint.method.isHttpMethod())
                .map(h -> h.endpoint.method.name() + " " + h.endpoint.path))
                .toList();
    }

    /** {@link PoolRoute}'s, which Javalin does not serve. */
    static final String POOL_ROUTE = "POST /pools/{pool}/{method}";

    public void stop() {
        http.stop();
        disconnects.close();
    }

    private static byte[] openapi() {
        try (InputStream in = HttpFaceplate.class.getResourceAsStream(OPENAPI_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(OPENAPI_RESOURCE + " is missing from the gateway jar");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
