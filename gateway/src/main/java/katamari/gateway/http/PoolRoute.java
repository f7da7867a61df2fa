package katamari.gateway.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import katamari.client.Answer;
import katamari.config.LogKeys;
import katamari.gateway.GatewayException;
import katamari.gateway.calls.PoolCalls;
import katamari.topics.ErrorCode;
import katamari.topics.KatamariError;
import katamari.topics.Request;
import katamari.topics.WireCodec;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.slf4j.MDC;

/**
 * {@code POST /pools/{pool}/{method}}, the route nearly every call takes, served by a Jetty handler in front of
 * Javalin's servlet rather than as a Javalin route. Why: under load, the servlet layer around a Javalin route (its
 * session handler, request and response wrappers, the async context, and a result stream that checks for
 * compression and ETags) cost more CPU than the route's own work, on the Jetty thread that reads the request and on
 * the reply thread that writes the answer (docs/benchmarks.md, "Results, 2026-12-02"). Here the request is read and
 * the answer written with Jetty's own API. Whatever else arrives (another method, another path, a path with more
 * or fewer segments) goes on to Javalin unchanged.
 *
 * <p>What a Javalin route gets from the faceplate's before and after handlers and exception mapping, this does
 * itself, with the same code: the request id ({@link ErrorResponses#idOf}) on every response, the log context,
 * and every refusal through {@link ErrorResponses}.
 */
final class PoolRoute extends Handler.Wrapper {
    private static final String PREFIX = "/pools/";

    private final PoolCalls calls;
    private final Arrivals arrivals;
    private final RequestBodies bodies;
    private final Disconnects disconnects;
    private final int maxBodyBytes;

    PoolRoute(PoolCalls calls, Arrivals arrivals, RequestBodies bodies, Disconnects disconnects, int maxBodyBytes) {
        this.calls = calls;
        this.arrivals = arrivals;
        this.bodies = bodies;
        this.disconnects = disconnects;
        this.maxBodyBytes = maxBodyBytes;
    }

    @Override
    public boolean handle(org.eclipse.jetty.server.Request request, Response response, Callback callback) throws Exception {
        String[] poolAndMethod = HttpMethod.POST.is(request.getMethod()) ? poolAndMethod(request.getHttpURI().getDecodedPath()) : null;
        if (poolAndMethod == null) {
            return super.handle(request, response, callback);
        }
        Outgoing out = Outgoing.of(response, body -> response.write(true, ByteBuffer.wrap(body), callback));
        String id;
        try {
            id = ErrorResponses.idOf(request.getHeaders().get(ErrorResponses.ID_HEADER));
        } catch (GatewayException e) {
            ErrorResponses.refused(out, ErrorResponses.idOf(null), KatamariError.of(e.code(), e.getMessage()));
            return true;
        }
        response.getHeaders().put(ErrorResponses.ID_HEADER, id);
        MDC.put(LogKeys.REQUEST_ID, id); // for what this thread logs about the request (JSON logs); Jetty's threads are pooled
        try {
            call(request, response, callback, out, id, poolAndMethod[0], poolAndMethod[1]);
        } catch (GatewayException e) {
            ErrorResponses.refused(out, id, KatamariError.of(e.code(), e.getMessage()));
        } catch (RuntimeException e) {
            ErrorResponses.unexpected(out, id, request.getMethod() + " " + request.getHttpURI().getPath(), e);
        } finally {
            MDC.remove(LogKeys.REQUEST_ID);
        }
        return true;
    }

    private void call(org.eclipse.jetty.server.Request request, Response response, Callback callback, Outgoing out, String id, String pool,
                      String method) {
        Incoming incoming = Incoming.of(request);
        Arrivals.Arrival arrival = arrivals.of(incoming);
        String pin = pin(request, incoming);
        ObjectNode args = args(body(request));
        PoolCalls.Call call = calls.call(arrival.who(), new PoolCalls.Target(pool, pin, arrival.routeKey()),
                id, new Request(method, args), arrival.deadline(),
                new PoolCalls.Asked(arrival.hedgeMs(), arrival.quorum(), arrival.bypassCache()));
        response.getHeaders().put(ErrorResponses.VERSION_HEADER, call.routed().version());
        if (call.cache().wire() != null) {
            response.getHeaders().put(Arrivals.CACHE_HEADER, call.cache().wire());
        }
        disconnects.watch(request.getConnectionMetaData().getConnection().getEndPoint(), call.answer(),
                () -> calls.cancellations().abandon(id));
        call.answer().whenComplete((answer, failure) -> answer(out, callback, id, request, answer, failure));
    }

    /**
     * Runs where the answer completes (the reply consumer's thread, a timer, or here when the cache answered). Writing
     * the response completes {@code callback}; if the answer cannot be written (the exchange ended under us, or a bug),
     * the callback is failed instead, so that Jetty ends the exchange (a 500 through {@link JettyErrors} when nothing
     * was sent yet) rather than leave the client waiting for its idle timeout.
     */
    private static void answer(Outgoing out, Callback callback, String id, org.eclipse.jetty.server.Request request, Answer answer,
                               Throwable failure) {
        try {
            if (failure != null) {
                ErrorResponses.unexpected(out, id, request.getMethod() + " " + request.getHttpURI().getPath(),
                        failure instanceof Exception e ? e : new IllegalStateException(failure));
                return;
            }
            ErrorResponses.write(out, answer);
        } catch (RuntimeException e) {
            ErrorResponses.dropped(id, e);
            callback.failed(e);
        }
    }

    /** {@code [pool, method]} when {@code path} is {@code /pools/<pool>/<method>} (a trailing '/' allowed, as Javalin allows it), else null. */
    static String[] poolAndMethod(String path) {
        if (path == null || !path.startsWith(PREFIX)) {
            return null;
        }
        String rest = path.endsWith("/") ? path.substring(PREFIX.length(), path.length() - 1) : path.substring(PREFIX.length());
        int slash = rest.indexOf('/');
        if (slash <= 0 || slash == rest.length() - 1 || rest.indexOf('/', slash + 1) >= 0) {
            return null;
        }
        return new String[] {rest.substring(0, slash), rest.substring(slash + 1)};
    }

    /** {@code ?version=} or the {@code Katamari-Version} header (the same if both are given). */
    private static String pin(org.eclipse.jetty.server.Request request, Incoming incoming) {
        String query = null;
        if (request.getHttpURI().getQuery() != null) {
            Fields.Field field = org.eclipse.jetty.server.Request.extractQueryParameters(request).get("version");
            query = field == null ? null : field.getValue();
        }
        String header = incoming.header(ErrorResponses.VERSION_HEADER);
        if (query != null && header != null && !query.equals(header)) {
            throw new GatewayException(ErrorCode.BAD_REQUEST, "?version=" + query + " and header " + ErrorResponses.VERSION_HEADER + ": "
                    + header + " pin different versions");
        }
        return query != null ? query : header;
    }

    /** The body, at most {@code gateway.maxBodyBytes}: a longer one is refused before it is read, or as soon as it passes the limit. */
    private byte[] body(org.eclipse.jetty.server.Request request) {
        if (request.getLength() > maxBodyBytes) {
            throw tooLarge();
        }
        try (InputStream in = Content.Source.asInputStream(request)) {
            byte[] body = in.readNBytes(maxBodyBytes + 1);
            if (body.length > maxBodyBytes) {
                throw tooLarge();
            }
            return body;
        } catch (IOException e) {
            throw new GatewayException(ErrorCode.BAD_REQUEST, "the body could not be read: " + e.getMessage());
        }
    }

    private static GatewayException tooLarge() {
        return new GatewayException(ErrorCode.PAYLOAD_TOO_LARGE, ErrorResponses.TOO_LARGE);
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
