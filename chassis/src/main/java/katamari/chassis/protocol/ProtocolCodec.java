package katamari.chassis.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import katamari.chassis.protocol.ChassisMessage.Call;
import katamari.chassis.protocol.ChassisMessage.CallError;
import katamari.chassis.protocol.ChassisMessage.CallPool;
import katamari.chassis.protocol.ChassisMessage.CallResult;
import katamari.chassis.protocol.ChassisMessage.Failure;
import katamari.chassis.protocol.ChassisMessage.Hello;
import katamari.chassis.protocol.ChassisMessage.MethodSpec;
import katamari.chassis.protocol.ChassisMessage.Ping;
import katamari.chassis.protocol.ChassisMessage.Pong;
import katamari.chassis.protocol.ChassisMessage.Result;
import katamari.topics.MalformedRecordException;
import katamari.topics.WireCodec;

/** Encodes and decodes protocol lines. Decoding is strict: anything off-contract is a {@link MalformedRecordException}. */
public final class ProtocolCodec {
    private ProtocolCodec() {}

    public static String encode(ChassisMessage message) {
        ObjectNode n = WireCodec.mapper().createObjectNode();
        if (message instanceof Hello h) {
            n.put("type", "hello").put("protocol", h.protocol()).put("kind", h.kind());
            ObjectNode methods = n.putObject("methods");
            h.methods().forEach((name, spec) -> {
                var args = methods.putObject(name).putArray("args");
                spec.args().forEach(args::add);
            });
        } else if (message instanceof Call c) {
            n.put("type", "call").put("id", c.id()).put("method", c.method());
            n.set("args", c.args());
            n.put("deadline", c.deadline());
        } else if (message instanceof Result r) {
            n.put("type", "reply").put("id", r.id());
            n.set("result", r.result());
            if (r.exit()) n.put("exit", true);
        } else if (message instanceof Failure f) {
            n.put("type", "error").put("id", f.id());
            n.set("error", WireCodec.errorTree(f.error()));
            if (f.exit()) n.put("exit", true);
        } else if (message instanceof Ping p) {
            n.put("type", "ping").put("id", p.id());
        } else if (message instanceof Pong p) {
            n.put("type", "pong").put("id", p.id());
        } else if (message instanceof CallPool c) {
            n.put("type", "call_pool").put("id", c.id()).put("pool", c.pool()).put("method", c.method());
            n.set("args", c.args());
        } else if (message instanceof CallResult r) {
            n.put("type", "call_result").put("id", r.id());
            n.set("result", r.result());
        } else if (message instanceof CallError e) {
            n.put("type", "call_error").put("id", e.id());
            n.set("error", WireCodec.errorTree(e.error()));
        }
        return n.toString();
    }

    public static ChassisMessage decode(String line) {
        JsonNode n = WireCodec.parse(line);
        if (!n.isObject()) {
            throw new MalformedRecordException("a protocol line must be a JSON object");
        }
        String type = n.path("type").asText("");
        return switch (type) {
            case "hello" -> new Hello(n.path("protocol").asInt(0), n.path("kind").asText(""), methods(n.get("methods")));
            case "call" -> new Call(id(n), n.path("method").asText(""),
                    n.get("args") instanceof ObjectNode o ? o : WireCodec.mapper().createObjectNode(), n.path("deadline").asLong(0));
            case "reply" -> new Result(id(n), n.has("result") ? n.get("result") : null, n.path("exit").asBoolean(false));
            case "error" -> new Failure(id(n), WireCodec.decodeError(n.path("error")), n.path("exit").asBoolean(false));
            case "ping" -> new Ping(id(n));
            case "pong" -> new Pong(id(n));
            case "call_pool" -> new CallPool(id(n), text(n, "pool"), text(n, "method"), args(n));
            case "call_result" -> new CallResult(id(n), n.has("result") ? n.get("result") : null);
            case "call_error" -> new CallError(id(n), WireCodec.decodeError(n.path("error")));
            default -> throw new MalformedRecordException("unknown protocol message type '" + type + "'");
        };
    }

    private static String id(JsonNode n) {
        JsonNode id = n.get("id");
        if (id == null || !id.isTextual()) {
            throw new MalformedRecordException("protocol message '" + n.path("type").asText() + "' has no 'id' string");
        }
        return id.asText();
    }

    private static String text(JsonNode n, String field) {
        JsonNode value = n.get(field);
        if (value == null || !value.isTextual() || value.asText().isBlank()) {
            throw new MalformedRecordException("protocol message '" + n.path("type").asText() + "' has no '" + field + "' string");
        }
        return value.asText();
    }

    private static ObjectNode args(JsonNode n) {
        JsonNode args = n.get("args");
        if (args == null || args.isNull()) {
            return WireCodec.mapper().createObjectNode();
        }
        if (!args.isObject()) {
            throw new MalformedRecordException("protocol message '" + n.path("type").asText() + "': 'args' must be a JSON object of named arguments");
        }
        return (ObjectNode) args;
    }

    private static Map<String, MethodSpec> methods(JsonNode node) {
        if (node == null || !node.isObject()) {
            throw new MalformedRecordException("hello has no 'methods' object");
        }
        Map<String, MethodSpec> methods = new LinkedHashMap<>();
        node.fields().forEachRemaining(e -> {
            List<String> args = new ArrayList<>();
            JsonNode list = e.getValue().path("args");
            if (!list.isArray()) {
                throw new MalformedRecordException("hello: method '" + e.getKey() + "' has no 'args' array");
            }
            list.forEach(a -> {
                if (!a.isTextual()) {
                    throw new MalformedRecordException("hello: method '" + e.getKey() + "' has an argument name that is not a string: " + a);
                }
                args.add(a.asText());
            });
            try {
                methods.put(e.getKey(), new MethodSpec(args));
            } catch (IllegalArgumentException bad) {
                throw new MalformedRecordException("hello: method '" + e.getKey() + "': " + bad.getMessage());
            }
        });
        return methods;
    }
}
