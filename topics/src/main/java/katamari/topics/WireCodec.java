package katamari.topics;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * JSON codecs for request and reply values. Hand-written rather than annotation-driven so that the wire shape
 * (e.g. {@code "result": null} on success, no {@code result} on failure) is visible in one place.
 */
public final class WireCodec {
    private static final ObjectMapper MAPPER = newMapper();

    private WireCodec() {}

    /** The one ObjectMapper configuration Katamari uses; callers may share the returned instance. */
    public static ObjectMapper mapper() {
        return MAPPER;
    }

    private static ObjectMapper newMapper() {
        ObjectMapper mapper = new ObjectMapper();
        mapper.getFactory().setStreamReadConstraints(StreamReadConstraints.builder()
                .maxNestingDepth(200)
                .maxStringLength(64 * 1024 * 1024)
                .build());
        return mapper;
    }

    /** Parses any JSON document; throws {@link MalformedRecordException} with the parser's reason. */
    public static JsonNode parse(byte[] json) {
        try {
            JsonNode node = MAPPER.readTree(json);
            if (node == null || node.isMissingNode()) {
                throw new MalformedRecordException("empty JSON document");
            }
            return node;
        } catch (JsonProcessingException e) {
            throw new MalformedRecordException("malformed JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new MalformedRecordException("unreadable JSON: " + e.getMessage(), e);
        }
    }

    public static JsonNode parse(String json) {
        return parse(json.getBytes(StandardCharsets.UTF_8));
    }

    public static byte[] write(JsonNode node) {
        try {
            return MAPPER.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize a JSON tree", e);
        }
    }

    /**
     * {@code node} as JSON text with every object's keys in sorted order, so that two answers that differ only in
     * key order read the same (majority requests compare answers by this).
     */
    public static String canonical(JsonNode node) {
        try {
            return MAPPER.writeValueAsString(sortedKeys(node));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize a JSON tree", e);
        }
    }

    private static JsonNode sortedKeys(JsonNode node) {
        if (node == null) {
            return com.fasterxml.jackson.databind.node.NullNode.getInstance();
        }
        if (node.isObject()) {
            ObjectNode sorted = MAPPER.createObjectNode();
            java.util.TreeMap<String, JsonNode> fields = new java.util.TreeMap<>();
            node.properties().forEach(f -> fields.put(f.getKey(), f.getValue()));
            fields.forEach((k, v) -> sorted.set(k, sortedKeys(v)));
            return sorted;
        }
        if (node.isArray()) {
            com.fasterxml.jackson.databind.node.ArrayNode sorted = MAPPER.createArrayNode();
            node.forEach(e -> sorted.add(sortedKeys(e)));
            return sorted;
        }
        return node;
    }

    public static byte[] encodeRequest(Request request) {
        ObjectNode node = MAPPER.createObjectNode();
        node.put("method", request.method());
        node.set("args", request.args());
        return write(node);
    }

    public static Request decodeRequest(byte[] value) {
        if (value == null) {
            throw new MalformedRecordException("request record has no value");
        }
        JsonNode node = parse(value);
        if (!node.isObject()) {
            throw new MalformedRecordException("request value must be a JSON object with 'method' and 'args'");
        }
        JsonNode method = node.get("method");
        if (method == null || !method.isTextual() || method.asText().isBlank()) {
            throw new MalformedRecordException("request value has no 'method' string");
        }
        JsonNode args = node.get("args");
        if (args != null && !args.isNull() && !args.isObject()) {
            throw new MalformedRecordException("request 'args' must be a JSON object of named arguments");
        }
        return new Request(method.asText(), args == null || args.isNull() ? null : (ObjectNode) args);
    }

    public static ObjectNode replyTree(Reply reply) {
        ObjectNode node = MAPPER.createObjectNode();
        node.put("id", reply.id());
        if (reply.isError()) {
            node.set("error", errorTree(reply.error()));
        } else {
            node.set("result", reply.result());
        }
        return node;
    }

    public static ObjectNode errorTree(KatamariError error) {
        ObjectNode e = MAPPER.createObjectNode();
        e.put("code", error.code());
        e.put("message", error.message());
        if (error.pool() != null) {
            e.put("pool", error.pool());
        }
        if (error.version() != null) {
            e.put("version", error.version());
        }
        if (error.answers() != null) {
            e.set("answers", error.answers());
        }
        return e;
    }

    public static byte[] encodeReply(Reply reply) {
        return write(replyTree(reply));
    }

    public static Reply decodeReply(byte[] value) {
        if (value == null) {
            throw new MalformedRecordException("reply record has no value");
        }
        JsonNode node = parse(value);
        JsonNode id = node.get("id");
        if (!node.isObject() || id == null || !id.isTextual()) {
            throw new MalformedRecordException("reply value must be a JSON object with an 'id' string");
        }
        JsonNode error = node.get("error");
        if (error != null && !error.isNull()) {
            return Reply.failure(id.asText(), decodeError(error));
        }
        return Reply.success(id.asText(), node.get("result"));
    }

    public static KatamariError decodeError(JsonNode error) {
        if (!error.isObject() || !error.path("code").isTextual()) {
            throw new MalformedRecordException("error must be an object with a 'code' string");
        }
        JsonNode answers = error.get("answers");
        return new KatamariError(error.get("code").asText(), error.path("message").asText(""),
                textOrNull(error.get("pool")), textOrNull(error.get("version")), answers == null || answers.isNull() ? null : answers);
    }

    private static String textOrNull(JsonNode node) {
        return node == null || !node.isTextual() ? null : node.asText();
    }
}
