package katamari.config;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Loads {@link KatamariConfig}: built-in defaults, then the YAML file, then environment overrides.
 *
 * <p>Every scalar key reachable through objects (not arrays) can be overridden by an environment variable named
 * {@code KATAMARI_} plus its path in upper snake case: {@code gateway.port} by {@code KATAMARI_GATEWAY_PORT},
 * {@code kafka.bootstrap} by {@code KATAMARI_KAFKA_BOOTSTRAP}, {@code worker.launchTimeout} by
 * {@code KATAMARI_WORKER_LAUNCH_TIMEOUT}. In pool commands, {@code ${KATAMARI_HOME}} is replaced by that
 * variable (the install folder; the current directory when unset).
 */
public final class ConfigLoader {
    static final String HOME_VARIABLE = "KATAMARI_HOME";

    private final ObjectMapper yaml = new ObjectMapper(new YAMLFactory())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);
    private final Map<String, String> env;

    public ConfigLoader(Map<String, String> env) {
        this.env = Map.copyOf(env);
    }

    public static KatamariConfig load(Path file) {
        return new ConfigLoader(System.getenv()).read(file);
    }

    /** @param file the YAML file, or null for defaults and environment only */
    public KatamariConfig read(Path file) {
        String where = file == null ? "the built-in defaults" : file.toString();
        ObjectNode tree = yaml.valueToTree(KatamariConfig.defaults());
        if (file != null) {
            merge(tree, readYaml(file), "");
        }
        keySlots(tree);
        applyEnvironment(tree, "KATAMARI");
        substituteHome(tree);
        try {
            return yaml.treeToValue(tree, KatamariConfig.class);
        } catch (UnrecognizedPropertyException e) {
            throw new ConfigException(where + ": unknown key '" + e.getPropertyName() + "' at " + path(e) + "; known keys: " + e.getKnownPropertyIds(), e);
        } catch (IOException e) {
            throw new ConfigException(where + ": " + rootMessage(e), e);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(where + ": " + rootMessage(e), e);
        }
    }

    private JsonNode readYaml(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new ConfigException("config file " + file + " does not exist");
        }
        try {
            JsonNode node = yaml.readTree(file.toFile());
            if (node == null || node.isMissingNode() || node.isNull()) {
                return yaml.createObjectNode();
            }
            if (!node.isObject()) {
                throw new ConfigException(file + ": the top level must be a mapping (kafka, gateway, worker, pools)");
            }
            return node;
        } catch (IOException e) {
            throw new ConfigException(file + ": not valid YAML: " + e.getMessage(), e);
        }
    }

    /** Objects merge key by key; anything else in {@code from} replaces what {@code into} had. */
    private static void merge(ObjectNode into, JsonNode from, String at) {
        Iterator<Map.Entry<String, JsonNode>> fields = from.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> f = fields.next();
            JsonNode existing = into.get(f.getKey());
            if (existing instanceof ObjectNode obj && f.getValue().isObject()) {
                merge(obj, f.getValue(), at + f.getKey() + ".");
            } else {
                into.set(f.getKey(), f.getValue());
            }
        }
    }

    /**
     * Every {@code gateway.apiKeys} entry gets a {@code key} field (null when the file has none), so that its secret
     * can come from {@code KATAMARI_GATEWAY_API_KEYS_<NAME>_KEY} alone: the environment only overrides keys present.
     */
    private static void keySlots(ObjectNode tree) {
        if (tree.path("gateway").path("apiKeys") instanceof ObjectNode keys) {
            keys.forEach(entry -> {
                if (entry instanceof ObjectNode e && !e.has("key")) {
                    e.putNull("key");
                }
            });
        }
    }

    private void applyEnvironment(ObjectNode node, String prefix) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        for (String name : names) {
            String variable = prefix + "_" + upperSnake(name);
            JsonNode child = node.get(name);
            if (child instanceof ObjectNode obj) {
                applyEnvironment(obj, variable);
            } else if (!(child instanceof ArrayNode) && env.containsKey(variable)) {
                node.set(name, TextNode.valueOf(env.get(variable)));
            }
        }
    }

    private void substituteHome(ObjectNode tree) {
        for (JsonNode pool : tree.path("pools")) {
            substituteHome(pool.get("command"));
        }
        substituteHome(tree.path("worker").get("allowedCommands"));
    }

    private void substituteHome(JsonNode list) {
        String home = env.getOrDefault(HOME_VARIABLE, Path.of("").toAbsolutePath().toString());
        if (list instanceof ArrayNode argv) {
            for (int i = 0; i < argv.size(); i++) {
                if (argv.get(i).isTextual()) {
                    argv.set(i, TextNode.valueOf(argv.get(i).asText().replace("${" + HOME_VARIABLE + "}", home)));
                }
            }
        }
    }

    static String upperSnake(String camel) {
        return camel.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toUpperCase();
    }

    private static String path(UnrecognizedPropertyException e) {
        StringBuilder sb = new StringBuilder();
        e.getPath().forEach(ref -> sb.append(ref.getFieldName() != null ? "." + ref.getFieldName() : "[" + ref.getIndex() + "]"));
        return sb.length() == 0 ? "top level" : sb.substring(sb.charAt(0) == '.' ? 1 : 0);
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getMessage();
    }
}
