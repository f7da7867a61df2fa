package katamari.topics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import java.util.Objects;

/** The value of a reply record: exactly one of {@code result} (any JSON, null included) or {@code error}. */
public record Reply(String id, JsonNode result, KatamariError error) {
    public Reply {
        Objects.requireNonNull(id, "id");
        if (error != null && result != null) {
            throw new IllegalArgumentException("a reply carries a result or an error, not both");
        }
        if (error == null && result == null) {
            result = NullNode.getInstance();
        }
    }

    public static Reply success(String id, JsonNode result) {
        return new Reply(id, result == null ? NullNode.getInstance() : result, null);
    }

    public static Reply failure(String id, KatamariError error) {
        return new Reply(id, null, Objects.requireNonNull(error, "error"));
    }

    public boolean isError() {
        return error != null;
    }
}
