package katamari.topics;

import java.util.Objects;

/**
 * The error body of a reply. {@code code} stays a string on the wire so that a chassis may send codes this
 * version does not know; {@link #knownCode()} maps it, falling back to {@code handler_error}.
 */
public record KatamariError(String code, String message, String pool, String version) {
    public KatamariError {
        Objects.requireNonNull(code, "code");
        message = message == null ? "" : message;
    }

    public static KatamariError of(ErrorCode code, String message) {
        return new KatamariError(code.wire(), message, null, null);
    }

    public KatamariError at(String pool, String version) {
        return new KatamariError(code, message, pool, version);
    }

    public ErrorCode knownCode() {
        return ErrorCode.fromWire(code).orElse(ErrorCode.HANDLER_ERROR);
    }
}
