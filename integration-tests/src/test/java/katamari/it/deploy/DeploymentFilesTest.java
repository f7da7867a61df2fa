package katamari.it.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import katamari.config.ConfigLoader;
import katamari.config.KatamariConfig;
import katamari.it.support.Katamari;
import katamari.kafka.embedded.EmbeddedKafka;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * docker/: no Docker engine runs here, so the deployment files are checked by the tools users would run on them
 * (Debian's docker-compose, npm's dclint, promtool) and against the code itself, so they cannot drift from it: every
 * KATAMARI_* variable is a documented key the loader takes, every flag a role's option, every port the one the
 * role listens on and Prometheus scrapes, and the brokers get the settings the shipped cluster runs with.
 */
class DeploymentFilesTest {
    private static final Path DOCKER = Katamari.HOME.resolve("docker");
    private static final Set<String> KATAMARI_SERVICES = Set.of("dispatcher-1", "dispatcher-2", "dispatcher-3", "worker-1", "worker-2",
            "gateway-1", "gateway-2");
    /** What differs per box (addresses, ids, paths) or is this 2-core box's thread tuning, not a cluster setting. */
    private static final Pattern NOT_A_CLUSTER_SETTING = Pattern.compile(
            "node\\.id|process\\.roles|controller\\.quorum\\.voters|.*listener.*|log\\.dirs|.*threads.*|num\\.replica\\.fetchers|log\\.cleaner\\..*");
    private static JsonNode compose;
    @TempDir
    static Path work;

    /** The compose file as docker-compose resolves it (anchors merged), from a copy with the example secrets. */
    @BeforeAll
    static void resolve() throws Exception {
        for (String f : List.of("compose.yaml", "prometheus.yml")) {
            Files.copy(DOCKER.resolve(f), work.resolve(f));
        }
        Files.copy(DOCKER.resolve("katamari.env.example"), work.resolve("katamari.env"));
        Result r = run(work, "docker-compose", "-f", "compose.yaml", "config");
        assertEquals(0, r.code(), "docker-compose config: " + r.output());
        compose = new ObjectMapper(new YAMLFactory()).readTree(r.stdout());
    }

    @Test
    void the_compose_file_passes_docker_compose_config() throws Exception {
        Result r = run(work, "docker-compose", "-f", "compose.yaml", "config", "-q");
        assertEquals(0, r.code(), r.output());
    }

    @Test
    void the_compose_file_passes_dclint_against_the_compose_spec() throws Exception {
        Path dclint = Katamari.HOME.resolve(".katamari/tools/node_modules/.bin/dclint");
        assertTrue(Files.isExecutable(dclint), "dclint is installed by bin/test (npm) at " + dclint);
        Result r = run(DOCKER, dclint.toString(), "-c", ".dclintrc", "--max-warnings", "0", "compose.yaml");
        assertEquals(0, r.code(), r.output());
    }

    @Test
    void every_file_a_service_mounts_is_in_docker() throws Exception {
        JsonNode raw = new ObjectMapper(new YAMLFactory()).readTree(DOCKER.resolve("compose.yaml").toFile());
        List<String> mounted = new ArrayList<>();
        raw.path("services").forEach(service -> service.path("volumes").forEach(v -> {
            String source = v.asText().split(":")[0];
            if (source.startsWith("./")) {
                mounted.add(source);
                assertTrue(Files.exists(DOCKER.resolve(source)), "compose.yaml mounts " + source + ", which docker/ lacks");
            }
        }));
        assertTrue(mounted.contains("./grafana/katamari-dashboard.json"), "Grafana is provisioned with the dashboard: " + mounted);
    }

    @Test
    void the_prometheus_config_passes_promtool() throws Exception {
        // --syntax-only: its credentials files are written at the container's start (compose.yaml), not present here
        Result r = run(DOCKER, "promtool", "check", "config", "--syntax-only", "prometheus.yml");
        assertEquals(0, r.code(), r.output());
    }

    @Test
    void every_katamari_variable_is_a_documented_key_that_the_loader_takes() throws Exception {
        String docs = Files.readString(Katamari.HOME.resolve("docs/configuration.md"));
        Map<String, String> secrets = envFile(DOCKER.resolve("katamari.env.example"));
        for (String service : KATAMARI_SERVICES) {
            Map<String, String> env = new HashMap<>(environment(service));
            for (String name : env.keySet()) {
                assertTrue(name.startsWith("KATAMARI_") && docs.contains(documentedName(name)), service + ": " + name + " is not in docs/configuration.md");
            }
            env.putAll(secrets);
            env.put("KATAMARI_HOME", Katamari.HOME.toString());
            KatamariConfig c = new ConfigLoader(env).read(DOCKER.resolve("katamari.yaml"));
            if (service.startsWith("dispatcher")) {
                assertEquals(service + ":5701", c.cluster().self(), "the dispatcher finds itself in the master list");
                assertTrue(c.cluster().members().contains(c.cluster().self()));
            }
            if (service.startsWith("worker")) {
                assertEquals(service, c.worker().id());
            }
            if (service.startsWith("gateway")) {
                assertEquals(service, c.gateway().id());
                assertEquals(2, c.gateway().apiKeys().size(), "ops and prometheus keys, both from the env file");
            }
        }
        for (String secret : secrets.keySet()) {
            assertTrue(docs.contains(documentedName(secret)), secret + " is not in docs/configuration.md");
        }
    }

    @Test
    void every_flag_in_a_command_is_an_option_of_its_role() throws Exception {
        for (String service : KATAMARI_SERVICES) {
            List<String> command = new ArrayList<>();
            compose.path("services").path(service).path("command").forEach(a -> command.add(a.asText()));
            Result help = run(work, "java", "-jar", Katamari.HOME.resolve("launcher/target/katamari.jar").toString(), command.get(0), "--help");
            for (String arg : command) {
                if (arg.startsWith("--")) {
                    assertTrue(help.stdout().contains(arg), service + ": '" + command.get(0) + "' has no option " + arg + ":\n" + help.stdout());
                }
            }
        }
    }

    @Test
    void ports_line_up_between_the_roles_the_published_ports_and_prometheus() throws Exception {
        Map<String, String> env0 = new HashMap<>(envFile(DOCKER.resolve("katamari.env.example")));
        env0.put("KATAMARI_HOME", Katamari.HOME.toString());
        KatamariConfig c = new ConfigLoader(env0).read(DOCKER.resolve("katamari.yaml"));
        String prometheus = Files.readString(DOCKER.resolve("prometheus.yml"));
        for (String service : KATAMARI_SERVICES) {
            Map<String, String> env = environment(service);
            int port = switch (service.substring(0, service.indexOf('-'))) {
                case "gateway" -> Integer.parseInt(env.getOrDefault("KATAMARI_GATEWAY_PORT", String.valueOf(c.gateway().port())));
                case "dispatcher" -> Integer.parseInt(env.getOrDefault("KATAMARI_CLUSTER_ADMIN_PORT", String.valueOf(c.cluster().adminPort())));
                default -> Integer.parseInt(flag(service, "--metrics-port"));
            };
            assertTrue(prometheus.contains("\"" + service + ":" + port + "\""), "Prometheus scrapes " + service + ":" + port);
            for (JsonNode published : compose.path("services").path(service).path("ports")) {
                String[] parts = published.asText().split("[:/]"); // host ip : published : target / protocol
                assertEquals("127.0.0.1", parts[0], service + " publishes on the Docker host's loopback only: " + published);
                assertEquals(port, Integer.parseInt(parts[2]), service + " publishes the port it listens on: " + published);
            }
        }
        assertTrue(c.cluster().members().stream().allMatch(m -> m.endsWith(":" + c.cluster().port())), "members listen on cluster.port");
        assertEquals("katamari", compose.path("services").path("management-center").path("environment").path("MC_DEFAULT_CLUSTER").asText(c.cluster().name()));
        assertEquals(String.join(",", c.cluster().members()),
                compose.path("services").path("management-center").path("environment").path("MC_DEFAULT_CLUSTER_MEMBERS").asText());
    }

    @Test
    void the_brokers_get_the_settings_the_shipped_cluster_runs_with() {
        Map<String, String> shipped = EmbeddedKafka.serverProperties(new EmbeddedKafka.Node(1, Map.of(1, 19110, 2, 19111, 3, 19112), 19100,
                work.resolve("unused"), null, Map.of()));
        for (String broker : List.of("kafka-1", "kafka-2", "kafka-3")) {
            Map<String, String> env = environment(broker);
            Map<String, String> missing = new TreeMap<>();
            shipped.forEach((key, value) -> {
                if (!NOT_A_CLUSTER_SETTING.matcher(key).matches() && !value.equals(env.get("KAFKA_" + key.toUpperCase().replace('.', '_')))) {
                    missing.put(key, value + " (compose: " + env.get("KAFKA_" + key.toUpperCase().replace('.', '_')) + ")");
                }
            });
            assertEquals(Map.of(), missing, broker + " differs from EmbeddedKafka.serverProperties");
            assertEquals(broker.substring("kafka-".length()), env.get("KAFKA_NODE_ID"));
        }
    }

    /** {@code KATAMARI_GATEWAY_API_KEYS_OPS_KEY} is documented by its pattern, {@code KATAMARI_GATEWAY_API_KEYS_<NAME>_KEY}. */
    private static String documentedName(String variable) {
        return variable.startsWith("KATAMARI_GATEWAY_API_KEYS_") ? "KATAMARI_GATEWAY_API_KEYS_<NAME>_KEY" : "`" + variable + "`";
    }

    private static Map<String, String> environment(String service) {
        Map<String, String> env = new TreeMap<>();
        compose.path("services").path(service).path("environment").fields().forEachRemaining(e -> env.put(e.getKey(), e.getValue().asText()));
        env.remove("KATAMARI_JAVA_OPTS"); // bin/katamari's, not a config key (docs/configuration.md, JVM options)
        env.keySet().removeIf(k -> k.startsWith("KATAMARI_") && envFileNames().contains(k)); // from the env file
        return env;
    }

    private static Set<String> envFileNames() {
        try {
            return envFile(DOCKER.resolve("katamari.env.example")).keySet();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String flag(String service, String name) {
        List<String> command = new ArrayList<>();
        compose.path("services").path(service).path("command").forEach(a -> command.add(a.asText()));
        return command.get(command.indexOf(name) + 1);
    }

    private static Map<String, String> envFile(Path file) throws IOException {
        Map<String, String> out = new TreeMap<>();
        Matcher m = Pattern.compile("(?m)^([A-Z_]+)=(.*)$").matcher(Files.readString(file));
        while (m.find()) {
            out.put(m.group(1), m.group(2));
        }
        return out;
    }

    private record Result(int code, String stdout, String stderr) {
        String output() {
            return stdout + stderr;
        }
    }

    private static Result run(Path dir, String... command) throws Exception {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).start();
        byte[] out = p.getInputStream().readAllBytes();
        byte[] err = p.getErrorStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException(String.join(" ", command) + " did not finish within 60 s");
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
    }
}
