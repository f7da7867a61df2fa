package katamari.chassis;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import katamari.topics.WireCodec;

/**
 * The named arguments of one call, with the call's deadline and a way to call other pools.
 *
 * @param values          every argument given, including extras a method declared with {@link Chassis#MORE} accepts
 * @param deadlineEpochMs when the caller stops waiting (epoch milliseconds; 0 when the agent sent none)
 * @param calls           nested calls to other pools, bounded by the same deadline
 */
public record Args(ObjectNode values, long deadlineEpochMs, Calls calls) {
    private static final Calls NO_CALLS = (pool, method, args) -> {
        throw new IllegalStateException("nested calls need a running chassis (Chassis.run)");
    };

    public Args(ObjectNode values, long deadlineEpochMs) {
        this(values, deadlineEpochMs, NO_CALLS);
    }

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

    /**
     * Calls {@code method} of {@code pool} with named arguments (anything Jackson turns into a JSON object, such as
     * a {@code Map}) and blocks for its result. See {@link Calls#call}.
     */
    public JsonNode call(String pool, String method, Object args) {
        JsonNode tree = args == null ? WireCodec.mapper().createObjectNode() : WireCodec.mapper().valueToTree(args);
        if (!(tree instanceof ObjectNode named)) {
            throw new IllegalArgumentException("the arguments of a nested call must be a JSON object of named arguments, were " + tree);
        }
        return calls.call(pool, method, named);
    }
}
