package katamari.gateway;

import katamari.topics.ErrorCode;

/**
 * A call the gateway refuses before (or instead of) a reply from a pool: bad input, no such pool, no key, too many
 * pending. {@code http.ErrorResponses} turns it into an HTTP or JSON-RPC error.
 */
public final class GatewayException extends RuntimeException {
    private final ErrorCode code;

    public GatewayException(ErrorCode code, String message) {
        super(message);
        this.code = code;
    }

    public ErrorCode code() {
        return code;
    }
}
