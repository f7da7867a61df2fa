package katamari.dispatcher.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import katamari.cluster.MetadataJson;
import katamari.cluster.PoolVersion;
import katamari.config.PoolDefinition;

/**
 * Turns an admin request body into a {@link PoolVersion}, or says precisely what is wrong with it. The body is the
 * pool definition as in the config file (name and version come from the path) plus an optional {@code weight}.
 * Everything is validated before anything is written: a refused body changes nothing.
 */
final class PoolInput {
    private static final ObjectMapper STRICT = MetadataJson.mapper().copy()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

    private PoolInput() {}

    static PoolVersion parse(String pool, String version, String body) {
        JsonNode node;
        try {
            node = STRICT.readTree(body == null || body.isBlank() ? "{}" : body);
        } catch (JsonProcessingException e) {
            throw bad("the body is not valid JSON: " + e.getOriginalMessage());
        }
        if (!(node instanceof ObjectNode def)) {
            throw bad("the body must be a JSON object (a pool definition), not " + node.getNodeType().name().toLowerCase());
        }
        sameAsPath(def, "name", pool);
        sameAsPath(def, "version", version);
        if (def.has("fence")) {
            throw bad("'fence' is set by the master, not by a client");
        }
        int weight = 1;
        JsonNode w = def.remove("weight");
        if (w != null) {
            if (!w.isInt()) {
                throw bad("'weight' must be a whole number (0 routes only pinned requests), was " + w);
            }
            weight = w.intValue();
        }
        def.put("name", pool);
        def.put("version", version);
        PoolDefinition d;
        try {
            d = STRICT.treeToValue(def, PoolDefinition.class);
        } catch (UnrecognizedPropertyException e) {
            throw bad("unknown field '" + e.getPropertyName() + "'; known fields: " + e.getKnownPropertyIds() + " and weight");
        } catch (JsonProcessingException e) {
            throw bad(rootMessage(e));
        } catch (IllegalArgumentException e) {
            throw bad(rootMessage(e));
        }
        try {
            return new PoolVersion(d, weight, 0);
        } catch (IllegalArgumentException e) {
            throw bad(e.getMessage());
        }
    }

    /** The body of {@code PATCH /pools/{pool}}: {@code {"weights": {"<version>": <0-1000000>, ...}}}. */
    static java.util.Map<String, Integer> weights(String body) {
        JsonNode node;
        try {
            node = STRICT.readTree(body == null || body.isBlank() ? "{}" : body);
        } catch (JsonProcessingException e) {
            throw bad("the body is not valid JSON: " + e.getOriginalMessage());
        }
        JsonNode weights = node.get("weights");
        if (!node.isObject() || node.size() != 1 || weights == null || !weights.isObject() || weights.isEmpty()) {
            throw bad("the body must be {\"weights\": {\"<version>\": <weight>, ...}} with at least one version");
        }
        java.util.Map<String, Integer> out = new java.util.TreeMap<>();
        var fields = weights.fields();
        while (fields.hasNext()) {
            var f = fields.next();
            if (!f.getValue().isInt() || f.getValue().intValue() < 0 || f.getValue().intValue() > PoolDefinition.MAX_WEIGHT) {
                throw bad("weight of '" + f.getKey() + "' must be a whole number 0-" + PoolDefinition.MAX_WEIGHT + ", was " + f.getValue());
            }
            out.put(f.getKey(), f.getValue().intValue());
        }
        return out;
    }

    private static void sameAsPath(ObjectNode def, String field, String fromPath) {
        JsonNode v = def.get(field);
        if (v != null && !v.asText().equals(fromPath)) {
            throw bad("'" + field + "' in the body (" + v.asText() + ") differs from the path (" + fromPath + ")");
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String m = t instanceof JsonProcessingException j ? j.getOriginalMessage() : t.getMessage();
        return m == null ? t.getClass().getSimpleName() : m;
    }

    static AdminException bad(String message) {
        return new AdminException(400, "bad_request", message);
    }
}
