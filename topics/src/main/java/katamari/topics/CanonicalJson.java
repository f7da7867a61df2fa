package katamari.topics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * One text per JSON value, whatever order its objects' keys came in: keys sorted (by UTF-16 code units, as
 * {@link String#compareTo}), no whitespace, scalars as {@link WireCodec} writes them. The response cache keys answers
 * by it, and the gateway (which parsed an HTTP body) and the agent (which parsed the request record, written by the
 * gateway or by any Kafka client) must derive the same key from the same arguments. Numbers keep their parsed kind:
 * {@code 1} and {@code 1.0} are different arguments, as they are to a Python or Ruby chassis.
 */
public final class CanonicalJson {
    private CanonicalJson() {}

    public static String write(JsonNode value) {
        return new String(WireCodec.write(sorted(value)), java.nio.charset.StandardCharsets.UTF_8);
    }

    private static JsonNode sorted(JsonNode n) {
        if (n instanceof ObjectNode o) {
            List<String> names = new ArrayList<>();
            o.fieldNames().forEachRemaining(names::add);
            names.sort(null);
            ObjectNode out = WireCodec.mapper().createObjectNode();
            for (String name : names) {
                out.set(name, sorted(o.get(name)));
            }
            return out;
        }
        if (n instanceof ArrayNode a) {
            ArrayNode out = WireCodec.mapper().createArrayNode();
            for (Iterator<JsonNode> it = a.elements(); it.hasNext(); ) {
                out.add(sorted(it.next()));
            }
            return out;
        }
        return n;
    }
}
