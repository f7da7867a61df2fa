package katamari.gateway.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import java.util.UUID;
import java.util.regex.Pattern;
import katamari.client.Answer;
import katamari.config.LogKeys;
import katamari.gateway.GatewayException;
import katamari.gateway.calls.Backpressure;
import katamari.topics.ErrorCode;
import katamari.topics.KatamariError;
import katamari.topics.Reply;
import katamari.topics.WireCodec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The one place where replies and errors become responses: HTTP statuses from DESIGN.md's error table, and the
 * JSON-RPC 2.0 error codes for the same Katamari codes. Every response carries the request id ({@value #ID_HEADER}).
 *
 * <p>JSON-RPC codes: -32700 the body is not JSON; -32600 not a valid request object, or the HTTP request as a whole
 * was refused (no key, too large, past a limit), {@code duplicate_id}; -32601 {@code pool_not_found}, {@code method_not_found}; -32602
 * {@code bad_request} (argument names, a bad {@code katamariQuorum}); -32603 everything else ({@code no_quorum} among them).
 * {@code error.data} holds Katamari's error (with {@code answers} for {@code no_quorum}).
 */
final class ErrorResponses {
    private static final Logger LOG = LoggerFactory.getLogger(ErrorResponses.class);
    static final String ID_HEADER = "Katamari-Id";
    static final String VERSION_HEADER = "Katamari-Version";
    /** Whether a hedge copy was sent and which copy answered: none, sent-first-won, sent-hedge-won, sent-none-won. */
    static final String HEDGE_HEADER = "Katamari-Hedge";

    static final int PARSE_ERROR = -32700;
    static final int INVALID_REQUEST = -32600;
    static final int METHOD_NOT_FOUND = -32601;
    static final int INVALID_PARAMS = -32602;
    static final int INTERNAL_ERROR = -32603;

    /** What a body over {@code gateway.maxBodyBytes} is refused with ({@code payload_too_large}), whichever layer noticed. */
    static final String TOO_LARGE = "the body is larger than gateway.maxBodyBytes";

    private ErrorResponses() {}

    /**
     * What a caller may name its request ({@value #ID_HEADER} request header): letters, digits, '_' and '-', so that the
     * gateway's own derived ids ({@code <id>.hedge}, a batch's {@code <id>-<n>}) can never be another caller's.
     */
    private static final Pattern NAMED_ID = Pattern.compile("[A-Za-z0-9_-]{1,100}");

    /**
     * Gives the request its id, on every response (unknown routes included): the caller's own ({@value #ID_HEADER}
     * request header), or a fresh one. @throws GatewayException bad_request for a named id that is not 1-100 of
     * A-Z a-z 0-9 '_' '-' (the refusal then carries a fresh id)
     */
    static void assignId(Context ctx) {
        String id = idOf(ctx.header(ID_HEADER));
        ctx.attribute(ID_HEADER, id);
        ctx.header(ID_HEADER, id);
        MDC.put(LogKeys.REQUEST_ID, id); // for what this thread logs about the request (JSON logs); see forgetId
    }

    /**
     * The id a request is answered under: {@code named} (its {@value #ID_HEADER} header), or a fresh one when null.
     * @throws GatewayException bad_request for a named id that is not 1-100 of A-Z a-z 0-9 '_' '-'
     */
    static String idOf(String named) {
        if (named != null && !NAMED_ID.matcher(named).matches()) {
            String shown = named.length() > 100 ? named.substring(0, 100) + "..." : named;
            throw new GatewayException(ErrorCode.BAD_REQUEST, ID_HEADER + " must be 1-100 characters of A-Z, a-z, 0-9, '_' and '-', was '"
                    + shown + "' (" + named.length() + " characters)");
        }
        return named != null ? named : UUID.randomUUID().toString();
    }

    /** Jetty's threads are pooled: the next request on this one must not log under this id. */
    static void forgetId(Context ctx) {
        MDC.remove(LogKeys.REQUEST_ID);
    }

    static void write(Outgoing out, Answer answer) {
        Reply reply = answer.reply();
        int status = reply.isError() ? reply.error().knownCode().httpStatus() : 200;
        out.status(status);
        out.header(ID_HEADER, reply.id());
        if (answer.version() != null) {
            out.header(VERSION_HEADER, answer.version());
        }
        out.header(HEDGE_HEADER, answer.hedging().wire());
        if (answer.quorum() != null) {
            out.header(Arrivals.QUORUM_HEADER, answer.quorum());
        }
        if (status == 503) {
            out.header("Retry-After", String.valueOf(Backpressure.RETRY_AFTER_SECONDS));
        }
        out.json(WireCodec.encodeReply(reply));
    }

    static void refused(Context ctx, GatewayException e) {
        refused(ctx, KatamariError.of(e.code(), e.getMessage()));
    }

    /** Javalin's own refusals (its body-size check, unknown routes) in Katamari's shape. */
    static void http(Context ctx, HttpResponseException e) {
        ErrorCode code = switch (e.getStatus()) {
            case 413 -> ErrorCode.PAYLOAD_TOO_LARGE;
            case 404 -> ErrorCode.POOL_NOT_FOUND;
            default -> ErrorCode.BAD_REQUEST;
        };
        String message = e.getStatus() == 404 ? "no route " + ctx.method() + " " + ctx.path() + " (see GET /openapi.json)"
                : e.getStatus() == 413 ? TOO_LARGE : e.getMessage();
        refused(ctx, KatamariError.of(code, message));
    }

    /** A refusal written straight to Jetty's response, for requests that never reached Javalin. */
    record Refusal(int status, String id, byte[] body) {}

    /**
     * What Jetty's own refusals say ({@link JettyErrors}): 431 and 414 keep their status with a code of their own,
     * every other client error is {@code bad_request}, anything else {@code internal}. {@code path} is null when the
     * request line was unreadable; on {@value RpcRoutes#PATH} the body is a JSON-RPC error with id null.
     */
    static Refusal belowJavalin(int status, String path) {
        KatamariError error = switch (status) {
            case 431 -> KatamariError.of(ErrorCode.HEADERS_TOO_LARGE,
                    "the request's headers are larger than the gateway accepts (" + HttpFaceplate.MAX_HEADER_BYTES + " bytes)");
            case 414 -> KatamariError.of(ErrorCode.URI_TOO_LONG,
                    "the request's URI is longer than the gateway accepts (" + HttpFaceplate.MAX_HEADER_BYTES + " bytes)");
            case 413 -> KatamariError.of(ErrorCode.PAYLOAD_TOO_LARGE, TOO_LARGE);
            default -> status >= 400 && status < 500
                    ? KatamariError.of(ErrorCode.BAD_REQUEST, "not a valid HTTP/1.1 request (the gateway's HTTP server answered " + status + ")")
                    : KatamariError.of(ErrorCode.INTERNAL, "the gateway's HTTP server failed (" + status + ")");
        };
        String id = UUID.randomUUID().toString();
        byte[] body = RpcRoutes.PATH.equals(path)
                ? WireCodec.write(rpcError(NullNode.getInstance(), INVALID_REQUEST, error, id))
                : WireCodec.encodeReply(Reply.failure(id, error));
        return new Refusal(error.knownCode().httpStatus(), id, body);
    }

    private static void refused(Context ctx, KatamariError error) {
        if (ctx.path().equals(RpcRoutes.PATH)) {
            ctx.status(error.knownCode().httpStatus());
            if (error.knownCode() == ErrorCode.UNAUTHORIZED) {
                ctx.header("WWW-Authenticate", "Bearer");
            }
            rpc(ctx, rpcError(NullNode.getInstance(), INVALID_REQUEST, error, requestId(ctx)));
            return;
        }
        refused(Outgoing.of(ctx), requestId(ctx), error);
    }

    /** A refusal on a route that is not JSON-RPC's: the error as a reply to {@code id}. */
    static void refused(Outgoing out, String id, KatamariError error) {
        if (error.knownCode() == ErrorCode.UNAUTHORIZED) {
            out.header("WWW-Authenticate", "Bearer");
        }
        write(out, new Answer(Reply.failure(id, error), null, null));
    }

    static void unexpected(Context ctx, Exception e) {
        String where;
        try {
            where = ctx.method() + " " + ctx.path();
        } catch (RuntimeException gone) {
            // an answer that completed after the server stopped: its exchange is recycled, nobody is listening
            LOG.debug("answer after the server stopped dropped: {}", e.toString());
            return;
        }
        if (ctx.path().equals(RpcRoutes.PATH)) {
            LOG.error("unexpected failure on {}", where, e);
            ctx.status(500);
            rpc(ctx, rpcError(NullNode.getInstance(), INTERNAL_ERROR, unexpected(e), requestId(ctx)));
            return;
        }
        unexpected(Outgoing.of(ctx), requestId(ctx), where, e);
    }

    /** An answer that could not be written: its exchange ended first (the server stopped, the connection closed), or a bug. */
    static void dropped(String id, RuntimeException e) {
        LOG.warn("the answer to {} could not be written: {}", id, e.toString());
    }

    /** A failure of the gateway's own (a bug): logged with where it happened, answered 500 {@code internal}. */
    static void unexpected(Outgoing out, String id, String where, Exception e) {
        LOG.error("unexpected failure on {}", where, e);
        out.status(500);
        out.header(ID_HEADER, id);
        out.json(WireCodec.encodeReply(Reply.failure(id, unexpected(e))));
    }

    private static KatamariError unexpected(Exception e) {
        return KatamariError.of(ErrorCode.INTERNAL, "the gateway failed: " + e.getClass().getSimpleName());
    }

    /** The id a request is answered with: the one assigned on arrival, or a fresh one. */
    static String requestId(Context ctx) {
        String id = ctx.attribute(ID_HEADER);
        return id != null ? id : UUID.randomUUID().toString();
    }

    // -- JSON-RPC 2.0 ------------------------------------------------------------------------------------------

    static int rpcCode(ErrorCode code) {
        return switch (code) {
            case POOL_NOT_FOUND, METHOD_NOT_FOUND -> METHOD_NOT_FOUND;
            case BAD_REQUEST -> INVALID_PARAMS;
            case DUPLICATE_ID -> INVALID_REQUEST; // the request as a whole is refused: its Katamari-Id is taken
            default -> INTERNAL_ERROR;
        };
    }

    /** The response to a call that a pool (or the gateway on its behalf) answered. */
    static ObjectNode rpcAnswer(JsonNode id, Reply reply) {
        if (reply.isError()) {
            return rpcError(id, rpcCode(reply.error().knownCode()), reply.error(), reply.id());
        }
        ObjectNode out = WireCodec.mapper().createObjectNode();
        out.put("jsonrpc", "2.0");
        out.set("result", reply.result());
        out.set("id", id);
        return out;
    }

    /** @param requestId Katamari's id of the call (its correlation id), for logs and support */
    static ObjectNode rpcError(JsonNode id, int code, KatamariError error, String requestId) {
        ObjectNode data = WireCodec.errorTree(error);
        data.put("id", requestId);
        ObjectNode e = WireCodec.mapper().createObjectNode();
        e.put("code", code);
        e.put("message", switch (code) {
            case PARSE_ERROR -> "Parse error";
            case INVALID_REQUEST -> "Invalid Request";
            case METHOD_NOT_FOUND -> "Method not found";
            case INVALID_PARAMS -> "Invalid params";
            default -> "Internal error";
        });
        e.set("data", data);
        ObjectNode out = WireCodec.mapper().createObjectNode();
        out.put("jsonrpc", "2.0");
        out.set("error", e);
        out.set("id", id == null ? NullNode.getInstance() : id);
        return out;
    }

    /** A JSON-RPC response body, or no body at all (204) when there is nothing to answer (only notifications). */
    static void rpc(Context ctx, JsonNode body) {
        if (body == null) {
            ctx.status(204);
            return;
        }
        if (ctx.statusCode() < 400) {
            ctx.status(200);
        }
        ctx.contentType("application/json").result(WireCodec.write(body));
    }
}
