package katamari.chassis.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import katamari.chassis.protocol.ChassisMessage.Call;
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
            list.forEach(a -> args.add(a.asText()));
            methods.put(e.getKey(), new MethodSpec(args));
        });
        return methods;
    }
}
