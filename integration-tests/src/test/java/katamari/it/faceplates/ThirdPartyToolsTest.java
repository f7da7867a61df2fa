package katamari.it.faceplates;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import katamari.it.support.Http;
import katamari.it.support.InProcessCluster;
import katamari.it.support.Katamari;
import katamari.topics.WireCodec;
import katamari.worker.metrics.WorkerMetrics;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What Katamari serves, read by the tools its users point at it, which nobody here wrote: Prometheus's
 * {@code promtool check metrics} on every role's {@code /metrics}, and {@code redocly lint} on {@code /openapi.json}.
 */
class ThirdPartyToolsTest {
    private static InProcessCluster cluster;
    private static WorkerMetrics workerMetrics;
    private static int workerPort;
    @TempDir
    static Path work;

    @BeforeAll
    static void start() throws Exception {
        cluster = InProcessCluster.start(Katamari.gateway(java.time.Duration.ofSeconds(20)));
        assertTrue(cluster.admin("PUT", "/pools/tools/v1", InProcessCluster.poolBody(Katamari.echoCommand(), 1, 1)).status() / 100 == 2);
        cluster.awaitAvailable("tools", "v1", 1);
        assertEquals(200, Http.post(cluster.url("/pools/tools/echo"), "{\"text\":\"x\"}").status()); // every meter exists
        workerMetrics = new WorkerMetrics(cluster.worker());
        workerPort = workerMetrics.serve("127.0.0.1", 0);
    }

    @AfterAll
    static void stop() throws Exception {
        if (workerMetrics != null) {
            workerMetrics.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void promtool_accepts_the_gateways_metrics() throws Exception {
        assertPromtoolAccepts(Http.text(Http.get(cluster.url("/metrics"))));
    }

    @Test
    void promtool_accepts_the_dispatchers_metrics() throws Exception {
        assertPromtoolAccepts(Http.text(Http.get(cluster.adminUrl() + "/metrics", "Katamari-Admin-Key", InProcessCluster.ADMIN_KEY)));
    }

    @Test
    void the_dispatchers_metrics_carry_hazelcasts_own_figures_with_help_and_promtool_accepts_them() throws Exception {
        String metrics = Http.text(Http.get(cluster.adminUrl() + "/metrics", "Katamari-Admin-Key", InProcessCluster.ADMIN_KEY));
        for (String name : List.of("katamari_hazelcast_members", "katamari_hazelcast_cluster_safe", "katamari_hazelcast_clients",
                "katamari_hazelcast_cp_enabled", "katamari_hazelcast_cp_local_member", "katamari_hazelcast_cp_members",
                "katamari_hazelcast_cp_groups", "katamari_hazelcast_map_entries")) {
            assertTrue(metrics.contains("# HELP " + name + " "), name + " has HELP text:\n" + metrics);
            assertTrue(metrics.contains("# TYPE " + name + " gauge"), name + " is a gauge");
        }
        assertEquals(1.0, value(metrics, "katamari_hazelcast_members{"), "one dispatcher, one member");
        assertEquals(0.0, value(metrics, "katamari_hazelcast_cp_enabled{"), "one box: unsafe mode");
        assertEquals(0.0, value(metrics, "katamari_hazelcast_cp_members{"), "one box: no CP member");
        assertEquals(1.0, value(metrics, "katamari_hazelcast_cluster_safe{"), metrics);
        assertTrue(value(metrics, "katamari_hazelcast_map_entries{dispatcher=") >= 0, metrics);
        assertTrue(metrics.lines().anyMatch(l -> l.startsWith("katamari_hazelcast_map_entries{") && l.contains("map=\"katamari.pools\"")
                && Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)) >= 1), "the pool-version put above is an entry of katamari.pools");
        JsonNode hazelcast = Http.get(cluster.adminUrl() + "/cluster", "Katamari-Admin-Key", InProcessCluster.ADMIN_KEY).body().path("hazelcast");
        assertTrue(hazelcast.path("cluster").asText().startsWith("it-"), "GET /cluster names the Hazelcast cluster: " + hazelcast);
        assertEquals(1, hazelcast.path("members").size(), hazelcast.toString());
        assertPromtoolAccepts(metrics);
    }

    /** The value of the first sample whose line starts with {@code prefix}. */
    private static double value(String metrics, String prefix) {
        String line = metrics.lines().filter(l -> l.startsWith(prefix)).findFirst().orElseThrow(() -> new AssertionError("no " + prefix));
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
    }

    @Test
    void promtool_accepts_the_workers_metrics() throws Exception {
        assertPromtoolAccepts(Http.text(Http.get("http://127.0.0.1:" + workerPort + "/metrics")));
    }

    @Test
    void redocly_lint_finds_no_error_in_the_api_description_and_every_operation_has_an_id() throws Exception {
        String openapi = Http.text(Http.get(cluster.url("/openapi.json")));
        Path file = Files.writeString(work.resolve("openapi.json"), openapi);
        Path redocly = Katamari.HOME.resolve(".katamari/tools/node_modules/.bin/redocly");
        assertTrue(Files.isExecutable(redocly), "redocly is installed by bin/test (npm) at " + redocly);
        Result r = run(null, redocly.toString(), "lint", file.toString());
        assertEquals(0, r.code(), r.output());
        JsonNode doc = WireCodec.parse(openapi);
        java.util.regex.Pattern method = java.util.regex.Pattern.compile(doc.at("/components/schemas/RpcRequest/properties/method/pattern").asText());
        JsonNode examples = doc.at("/paths/~1rpc/post/requestBody/content/application~1json/examples");
        assertTrue(examples.size() >= 3, "the JSON-RPC calls are described with examples: " + examples);
        examples.forEach(e -> (e.path("value").isArray() ? e.path("value") : List.of(e.path("value"))).forEach(call ->
                assertTrue(method.matcher(call.path("method").asText()).matches(), "the method pattern names " + call)));
        JsonNode paths = doc.path("paths");
        paths.fields().forEachRemaining(p -> p.getValue().fields().forEachRemaining(op ->
                assertTrue(op.getValue().hasNonNull("operationId"), op.getKey() + " " + p.getKey() + " has no operationId")));
    }

    @Test
    void the_grafana_dashboard_is_json_whose_queries_name_only_metrics_the_roles_export() throws Exception {
        JsonNode dashboard = WireCodec.parse(Files.readString(Katamari.HOME.resolve("docker/grafana/katamari-dashboard.json")));
        Set<String> exported = new TreeSet<>();
        for (String page : List.of(Http.text(Http.get(cluster.url("/metrics"))),
                Http.text(Http.get(cluster.adminUrl() + "/metrics", "Katamari-Admin-Key", InProcessCluster.ADMIN_KEY)),
                Http.text(Http.get("http://127.0.0.1:" + workerPort + "/metrics")))) {
            page.lines().filter(l -> !l.startsWith("#") && !l.isBlank()).map(l -> l.split("[{ ]", 2)[0]).forEach(exported::add);
        }
        List<String> queries = new ArrayList<>();
        dashboard.path("panels").forEach(panel -> panel.path("targets").forEach(t -> queries.add(t.path("expr").asText())));
        dashboard.path("templating").path("list").forEach(v -> {
            Matcher m = LABEL_VALUES.matcher(v.path("definition").asText());
            if (m.find()) {
                queries.add(m.group(1));
            }
        });
        assertTrue(queries.size() >= 20, "the dashboard has panels with queries: " + queries.size());
        Set<String> named = new TreeSet<>();
        queries.forEach(q -> named.addAll(metricNames(q)));
        for (String metric : named) {
            assertTrue(exported.contains(metric), "the dashboard queries " + metric + ", which no role exports; they export " + exported);
        }
        for (String prefix : List.of("katamari_gateway_", "katamari_worker_", "katamari_dispatcher_", "katamari_cluster_", "katamari_hazelcast_")) {
            assertTrue(named.stream().anyMatch(n -> n.startsWith(prefix)), "the dashboard shows " + prefix + "*");
        }
    }

    private static final Pattern LABEL_VALUES = Pattern.compile("label_values\\(\\s*([a-zA-Z_:][a-zA-Z0-9_:]*)");
    private static final Set<String> PROMQL_WORDS = Set.of("by", "without", "on", "ignoring", "group_left", "group_right",
            "offset", "bool", "and", "or", "unless");

    /**
     * The metric names a PromQL expression reads: the identifiers not followed by a parenthesis (functions, aggregations)
     * once strings, label matchers, ranges, groupings and numbers are gone.
     */
    private static Set<String> metricNames(String promql) {
        String bare = promql.replaceAll("\"(\\\\.|[^\"])*\"", "\"\"").replaceAll("\\{[^}]*}", " ").replaceAll("\\[[^\\]]*\\]", " ")
                .replaceAll("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", " ")
                .replaceAll("\\b\\d[\\w.]*", " "); // numbers and durations (offset 5m)
        Set<String> names = new TreeSet<>();
        Matcher m = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)(\\s*\\()?").matcher(bare);
        while (m.find()) {
            if (m.group(2) == null && !PROMQL_WORDS.contains(m.group(1))) {
                names.add(m.group(1));
            }
        }
        return names;
    }

    private static void assertPromtoolAccepts(String metrics) throws Exception {
        assertTrue(metrics.contains("# HELP"), "a Prometheus text page: " + metrics.substring(0, Math.min(200, metrics.length())));
        Result r = run(metrics, "promtool", "check", "metrics");
        assertEquals(0, r.code(), "promtool check metrics: " + r.output());
    }

    private record Result(int code, String output) {}

    private static Result run(String stdin, String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).directory(work.toFile()).start();
        if (stdin != null) {
            p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException(String.join(" ", command) + " did not finish within 120 s");
        }
        return new Result(p.exitValue(), out);
    }
}
