package katamari.gateway.http;

import katamari.topics.ErrorCode;

/** A request the gateway refuses before it reaches Kafka; {@link ErrorResponses} turns it into a response. */
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
