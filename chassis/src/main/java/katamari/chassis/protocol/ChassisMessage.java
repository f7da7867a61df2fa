package katamari.chassis.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;
import katamari.topics.KatamariError;

/** The lines of chassis protocol v1 (DESIGN.md), one JSON object per line on stdin/stdout. */
public sealed interface ChassisMessage {
    int PROTOCOL = 1;

    /** What a method accepts: its argument names, in the order the handler declared them. */
    record MethodSpec(List<String> args) {
        public MethodSpec {
            args = List.copyOf(args);
        }
    }

    /** The instance's first line: who it is and what it serves. */
    record Hello(int protocol, String kind, Map<String, MethodSpec> methods) implements ChassisMessage {
        public Hello {
            methods = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(methods));
        }
    }

    /** A request for the instance; {@code deadline} is epoch milliseconds. */
    record Call(String id, String method, ObjectNode args, long deadline) implements ChassisMessage {}

    /** A successful answer; {@code exit} means the instance ends after sending it ("return and exit"). */
    record Result(String id, JsonNode result, boolean exit) implements ChassisMessage {}

    /** A failed answer. */
    record Failure(String id, KatamariError error, boolean exit) implements ChassisMessage {}

    record Ping(String id) implements ChassisMessage {}

    record Pong(String id) implements ChassisMessage {}
}
