package katamari.topics;

import java.util.Arrays;
import java.util.Optional;

/** DESIGN.md's error codes, shared by replies, HTTP and JSON-RPC. The HTTP status lives here so there is one table. */
public enum ErrorCode {
    BAD_REQUEST("bad_request", 400),
    UNAUTHORIZED("unauthorized", 401),
    FORBIDDEN("forbidden", 403),
    POOL_NOT_FOUND("pool_not_found", 404),
    METHOD_NOT_FOUND("method_not_found", 404),
    PAYLOAD_TOO_LARGE("payload_too_large", 413),
    /** the gateway's HTTP server refused the request before reading it: its URI is over the header limit */
    URI_TOO_LONG("uri_too_long", 414),
    /** the gateway's HTTP server refused the request before reading it: its headers are over the header limit */
    HEADERS_TOO_LARGE("headers_too_large", 431),
    OVERLOADED("overloaded", 503),
    HANDLER_ERROR("handler_error", 500),
    INSTANCE_CRASHED("instance_crashed", 502),
    /** a majority request's copies gave no majority of equal answers (docs/design.md, "Majority requests"); gateway only */
    NO_QUORUM("no_quorum", 502),
    TIMEOUT("timeout", 504),
    /** a fault of Katamari itself (a bug); never used for anything a client or chassis did */
    INTERNAL("internal", 500);

    private final String wire;
    private final int httpStatus;

    ErrorCode(String wire, int httpStatus) {
        this.wire = wire;
        this.httpStatus = httpStatus;
    }

    public String wire() {
        return wire;
    }

    public int httpStatus() {
        return httpStatus;
    }

    public static Optional<ErrorCode> fromWire(String wire) {
        return Arrays.stream(values()).filter(c -> c.wire.equals(wire)).findFirst();
    }
}
