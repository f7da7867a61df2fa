package katamari.topics;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Objects;

/**
 * The error body of a reply. {@code code} stays a string on the wire so that a chassis may send codes this
 * version does not know; {@link #knownCode()} maps it, falling back to {@code handler_error}.
 *
 * @param answers what the copies of a majority request answered, for {@code no_quorum} (an array of
 *                {@code {"count", "result" | "error" | "failed"}}, docs/design.md "Majority requests"); null otherwise
 */
public record KatamariError(String code, String message, String pool, String version, JsonNode answers) {
    public KatamariError {
        Objects.requireNonNull(code, "code");
        message = message == null ? "" : message;
    }

    public KatamariError(String code, String message, String pool, String version) {
        this(code, message, pool, version, null);
    }

    public static KatamariError of(ErrorCode code, String message) {
        return new KatamariError(code.wire(), message, null, null);
    }

    public KatamariError at(String pool, String version) {
        return new KatamariError(code, message, pool, version, answers);
    }

    public KatamariError withAnswers(JsonNode list) {
        return new KatamariError(code, message, pool, version, list);
    }

    public ErrorCode knownCode() {
        return ErrorCode.fromWire(code).orElse(ErrorCode.HANDLER_ERROR);
    }
}
