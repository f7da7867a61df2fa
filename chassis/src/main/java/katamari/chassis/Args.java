package katamari.chassis;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** The named arguments of one call, with the call's deadline. */
public record Args(ObjectNode values, long deadlineEpochMs) {
    public JsonNode get(String name) {
        return values.path(name);
    }

    public String text(String name) {
        JsonNode v = values.get(name);
        return v == null || v.isNull() ? null : v.isTextual() ? v.asText() : v.toString();
    }

    public long longValue(String name) {
        JsonNode v = values.path(name);
        if (!v.canConvertToLong() && !(v.isTextual() && v.asText().matches("-?\\d+"))) {
            throw new IllegalArgumentException("argument '" + name + "' must be a whole number, was " + v);
        }
        return v.asLong();
    }
}
