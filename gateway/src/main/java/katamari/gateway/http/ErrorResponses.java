package katamari.gateway.http;

import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import java.util.UUID;
import katamari.client.Answer;
import katamari.topics.ErrorCode;
import katamari.topics.KatamariError;
import katamari.topics.Reply;
import katamari.topics.WireCodec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The one place where replies and errors become HTTP responses (status from DESIGN.md's error table). */
final class ErrorResponses {
    private static final Logger LOG = LoggerFactory.getLogger(ErrorResponses.class);
    static final String ID_HEADER = "Katamari-Id";
    static final String VERSION_HEADER = "Katamari-Version";

    private ErrorResponses() {}

    static void write(Context ctx, Answer answer) {
        Reply reply = answer.reply();
        int status = reply.isError() ? reply.error().knownCode().httpStatus() : 200;
        ctx.status(status).header(ID_HEADER, reply.id()).contentType("application/json");
        if (answer.version() != null) {
            ctx.header(VERSION_HEADER, answer.version());
        }
        ctx.result(WireCodec.encodeReply(reply));
    }

    static void refused(Context ctx, GatewayException e) {
        write(ctx, new Answer(Reply.failure(requestId(ctx), KatamariError.of(e.code(), e.getMessage())), null, null));
    }

    /** Javalin's own refusals (e.g. its body-size check) in Katamari's shape. */
    static void http(Context ctx, HttpResponseException e) {
        ErrorCode code = switch (e.getStatus()) {
            case 413 -> ErrorCode.PAYLOAD_TOO_LARGE;
            case 404 -> ErrorCode.POOL_NOT_FOUND;
            default -> ErrorCode.BAD_REQUEST;
        };
        write(ctx, new Answer(Reply.failure(requestId(ctx), KatamariError.of(code, e.getMessage())), null, null));
    }

    static void unexpected(Context ctx, Exception e) {
        LOG.error("unexpected failure on {} {}", ctx.method(), ctx.path(), e);
        ctx.status(500).contentType("application/json").result(WireCodec.encodeReply(
                Reply.failure(requestId(ctx), KatamariError.of(ErrorCode.INTERNAL, "the gateway failed: " + e.getClass().getSimpleName()))));
    }

    /** The id a refused request is answered with: the one the route assigned, or a fresh one. */
    static String requestId(Context ctx) {
        String id = ctx.attribute(ID_HEADER);
        return id != null ? id : UUID.randomUUID().toString();
    }
}
