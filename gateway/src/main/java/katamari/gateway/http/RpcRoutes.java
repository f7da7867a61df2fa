package katamari.gateway.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import katamari.client.Answer;
import katamari.gateway.GatewayException;
import katamari.gateway.calls.PoolCalls;
import katamari.topics.ErrorCode;
import katamari.topics.KatamariError;
import katamari.topics.Request;
import katamari.topics.WireCodec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * JSON-RPC 2.0 at {@code POST /rpc}: method {@code "<pool>.<method>"} or {@code "<pool>@<version>.<method>"},
 * named params (an object), batches, and notifications (no {@code id}: published without a reply-to, never
 * answered, not even with an error). A batch of only notifications, or a single notification, gets 204 and no body.
 *
 * <p>The calls of a batch run concurrently, each routed and bounded on its own; their answers come back in the order
 * of the batch. Each call gets its own Katamari id ({@code <request id>-<n>}, n counted from 1), shown in
 * {@code error.data.id}.
 */
final class RpcRoutes {
    private static final Logger LOG = LoggerFactory.getLogger(RpcRoutes.class);
    static final String PATH = "/rpc";
    /** {@code pool[@version].method}: pool and version cannot hold a dot, so the first dot ends them. */
    private static final Pattern METHOD = Pattern.compile("([a-z0-9][a-z0-9_-]{0,62})(?:@([a-z0-9][a-z0-9_-]{0,62}))?\\.(.+)", Pattern.DOTALL);

    private final PoolCalls calls;
    private final Arrivals arrivals;
    private final RequestBodies bodies;
    private final int maxBatch;
    private final Disconnects disconnects;

    RpcRoutes(PoolCalls calls, Arrivals arrivals, RequestBodies bodies, int maxBatch, Disconnects disconnects) {
        this.calls = calls;
        this.arrivals = arrivals;
        this.bodies = bodies;
        this.maxBatch = maxBatch;
        this.disconnects = disconnects;
    }

    /** A request object's own hedge delay in ms (a Katamari member next to {@code params}; docs/http-api.md). */
    static final String HEDGE_MEMBER = "katamariHedgeMs";
    /** A request object's own number of copies for a majority request (like {@code Katamari-Quorum}). */
    static final String QUORUM_MEMBER = "katamariQuorum";

    void register(JavalinConfig config) {
        config.routes.post(PATH, this::rpc);
    }

    private void rpc(Context ctx) {
        Arrivals.Arrival shared = arrivals.of(Incoming.of(ctx));
        String requestId = ErrorResponses.requestId(ctx);
        JsonNode doc;
        try {
            doc = bodies.parse(ctx.bodyAsBytes());
        } catch (RequestBodies.Refused e) {
            ErrorResponses.rpc(ctx, ErrorResponses.rpcError(NullNode.getInstance(), e.overLimit ? ErrorResponses.INVALID_REQUEST
                    : ErrorResponses.PARSE_ERROR, KatamariError.of(ErrorCode.BAD_REQUEST, e.getMessage()), requestId));
            return;
        }
        if (doc == null) {
            ErrorResponses.rpc(ctx, invalid(NullNode.getInstance(), "the body is empty; send a request object or a batch", requestId));
            return;
        }
        if (!doc.isArray()) {
            CompletableFuture<ObjectNode> answer = one(shared, doc, requestId, sent -> {
                        ctx.header(ErrorResponses.VERSION_HEADER, sent.routed().version());
                        if (sent.cache().wire() != null) {
                            ctx.header(Arrivals.CACHE_HEADER, sent.cache().wire());
                        }
                    }, a -> {
                        ctx.header(ErrorResponses.HEDGE_HEADER, a.hedging().wire());
                        if (a.quorum() != null) {
                            ctx.header(Arrivals.QUORUM_HEADER, a.quorum());
                        }
                    });
            disconnects.watch(ctx, answer, () -> calls.cancellations().abandon(requestId));
            ctx.future(() -> answer.thenAccept(a -> ErrorResponses.rpc(ctx, a)));
            return;
        }
        if (doc.isEmpty() || doc.size() > maxBatch) {
            ErrorResponses.rpc(ctx, invalid(NullNode.getInstance(), doc.isEmpty() ? "an empty batch"
                    : "a batch of " + doc.size() + " calls; at most " + maxBatch + " (gateway.maxBatch)", requestId));
            return;
        }
        List<CompletableFuture<ObjectNode>> answers = new ArrayList<>();
        for (int i = 0; i < doc.size(); i++) {
            answers.add(one(shared, doc.get(i), requestId + "-" + (i + 1), sent -> { }, a -> { }));
        }
        CompletableFuture<Void> all = CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new));
        int size = doc.size();
        disconnects.watch(ctx, all, () -> {
            for (int i = 1; i <= size; i++) {
                calls.cancellations().abandon(requestId + "-" + i); // a call answered already, or a notification: nothing happens
            }
        });
        ctx.future(() -> all.thenAccept(done -> {
            ArrayNode out = WireCodec.mapper().createArrayNode();
            answers.stream().map(CompletableFuture::join).filter(a -> a != null).forEach(out::add);
            ErrorResponses.rpc(ctx, out.isEmpty() ? null : out);
        }));
    }

    /**
     * One request object of a body or batch.
     *
     * @return its response, or null for a notification (which is never answered)
     */
    private CompletableFuture<ObjectNode> one(Arrivals.Arrival shared, JsonNode call, String id, Consumer<PoolCalls.Call> routedTo,
                                              Consumer<Answer> answered) {
        if (!(call instanceof ObjectNode c)) {
            return done(invalid(NullNode.getInstance(), "a request must be an object, not " + kind(call), id));
        }
        JsonNode rpcId = c.get("id");
        boolean notification = rpcId == null;
        if (rpcId != null && !rpcId.isTextual() && !rpcId.isNumber() && !rpcId.isNull()) {
            return done(invalid(NullNode.getInstance(), "'id' must be a string, a number or null, not " + kind(rpcId), id));
        }
        JsonNode answerId = notification ? NullNode.getInstance() : rpcId;
        if (!"2.0".equals(c.path("jsonrpc").textValue())) {
            return done(invalid(answerId, "'jsonrpc' must be \"2.0\"", id));
        }
        JsonNode method = c.get("method");
        if (method == null || !method.isTextual()) {
            return done(invalid(answerId, "'method' must be a string such as \"<pool>.<method>\"", id));
        }
        JsonNode params = c.get("params");
        if (params != null && !params.isObject() && !params.isArray()) {
            return done(invalid(answerId, "'params' must be an object (or an array), not " + kind(params), id));
        }
        Matcher m = METHOD.matcher(method.textValue());
        if (method.textValue().startsWith("rpc.") || !m.matches()) {
            return notification ? done(null) : done(ErrorResponses.rpcError(answerId, ErrorResponses.METHOD_NOT_FOUND,
                    KatamariError.of(ErrorCode.METHOD_NOT_FOUND, method.textValue().startsWith("rpc.")
                            ? "methods starting with 'rpc.' are reserved by JSON-RPC 2.0"
                            : "method '" + method.textValue() + "' is not '<pool>.<method>' or '<pool>@<version>.<method>'"), id));
        }
        if (params != null && params.isArray()) {
            return notification ? done(null) : done(ErrorResponses.rpcError(answerId, ErrorResponses.INVALID_PARAMS,
                    KatamariError.of(ErrorCode.BAD_REQUEST, "Katamari methods take named params: an object, not an array"), id));
        }
        // the call's own hedge delay (a Katamari extension member) over the HTTP request's Katamari-Hedge-Ms
        JsonNode hedgeMember = c.get(HEDGE_MEMBER);
        Long hedgeMs = shared.hedgeMs();
        if (hedgeMember != null) {
            if (!hedgeMember.isIntegralNumber() || !hedgeMember.canConvertToLong() || hedgeMember.longValue() <= 0) {
                return notification ? done(null) : done(ErrorResponses.rpcError(answerId, ErrorResponses.INVALID_PARAMS,
                        KatamariError.of(ErrorCode.BAD_REQUEST, "'" + HEDGE_MEMBER + "' must be a positive whole number of milliseconds, not "
                                + hedgeMember), id));
            }
            hedgeMs = hedgeMember.longValue();
        }
        // the call's own quorum over the HTTP request's Katamari-Quorum, likewise
        JsonNode quorumMember = c.get(QUORUM_MEMBER);
        PoolCalls.Quorum quorum = shared.quorum();
        if (quorumMember != null) {
            try {
                if (!quorumMember.isIntegralNumber() || !quorumMember.canConvertToInt()) {
                    throw new GatewayException(ErrorCode.BAD_REQUEST, "'" + QUORUM_MEMBER + "' must be an odd whole number of copies (1, 3, 5...), not "
                            + quorumMember);
                }
                quorum = Arrivals.quorum(quorumMember.intValue(), "'" + QUORUM_MEMBER + "'");
            } catch (GatewayException e) {
                return notification ? done(null) : done(ErrorResponses.rpcError(answerId, ErrorResponses.INVALID_PARAMS,
                        KatamariError.of(ErrorCode.BAD_REQUEST, e.getMessage()), id));
            }
        }
        ObjectNode args = params == null ? WireCodec.mapper().createObjectNode() : (ObjectNode) params;
        PoolCalls.Target target = new PoolCalls.Target(m.group(1), m.group(2), shared.routeKey());
        Request request = new Request(m.group(3), args);
        try {
            if (notification) {
                calls.notify(shared.who(), target, id, request, shared.deadline());
                return done(null);
            }
            PoolCalls.Call sent = calls.call(shared.who(), target, id, request, shared.deadline(),
                    new PoolCalls.Asked(hedgeMs, quorum, shared.bypassCache()));
            routedTo.accept(sent);
            return sent.answer().thenApply(a -> {
                answered.accept(a);
                return ErrorResponses.rpcAnswer(answerId, a.reply());
            });
        } catch (GatewayException e) {
            if (notification) {
                LOG.debug("notification {} to {} refused: {} {}", id, method.textValue(), e.code().wire(), e.getMessage());
                return done(null);
            }
            return done(ErrorResponses.rpcError(answerId, ErrorResponses.rpcCode(e.code()), KatamariError.of(e.code(), e.getMessage()), id));
        }
    }

    private static ObjectNode invalid(JsonNode id, String why, String requestId) {
        return ErrorResponses.rpcError(id, ErrorResponses.INVALID_REQUEST, KatamariError.of(ErrorCode.BAD_REQUEST, why), requestId);
    }

    private static CompletableFuture<ObjectNode> done(ObjectNode answer) {
        return CompletableFuture.completedFuture(answer);
    }

    private static String kind(JsonNode n) {
        return n.getNodeType().name().toLowerCase();
    }
}
