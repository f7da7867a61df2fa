package katamari.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
    @TempDir
    Path dir;

    private Path yaml(String text) throws IOException {
        return Files.writeString(dir.resolve("k.yaml"), text);
    }

    @Test
    void defaults_apply_when_there_is_no_file() {
        KatamariConfig c = new ConfigLoader(Map.of()).read(null);
        assertEquals(8080, c.gateway().port());
        assertEquals(Duration.ofSeconds(30), c.gateway().timeout());
        assertEquals("127.0.0.1:9092", c.kafka().bootstrap());
        assertNull(c.gateway().id());
        assertTrue(c.pools().isEmpty());
    }

    @Test
    void file_values_override_defaults_and_pools_get_their_defaults() throws IOException {
        KatamariConfig c = new ConfigLoader(Map.of("KATAMARI_HOME", "/opt/k")).read(yaml("""
                gateway:
                  timeout: 1500ms
                pools:
                  - name: echo
                    version: v1
                    command: [java, -jar, "${KATAMARI_HOME}/echo.jar"]
                    instances: 2
                """));
        assertEquals(Duration.ofMillis(1500), c.gateway().timeout());
        assertEquals(8080, c.gateway().port());
        PoolDefinition p = c.pool("echo", "v1").orElseThrow();
        assertEquals(List.of("java", "-jar", "/opt/k/echo.jar"), p.command());
        assertEquals(2, p.attempts());
        assertEquals(Duration.ofSeconds(30), p.timeout());
        assertEquals(List.of("PATH"), p.inheritEnv());
    }

    @Test
    void environment_overrides_the_file() throws IOException {
        Map<String, String> env = Map.of("KATAMARI_GATEWAY_PORT", "9999", "KATAMARI_KAFKA_BOOTSTRAP", "127.0.0.1:1",
                "KATAMARI_WORKER_LAUNCH_TIMEOUT", "3s", "KATAMARI_GATEWAY_ID", "gw-a");
        KatamariConfig c = new ConfigLoader(env).read(yaml("gateway:\n  port: 1234\n"));
        assertEquals(9999, c.gateway().port());
        assertEquals("127.0.0.1:1", c.kafka().bootstrap());
        assertEquals(Duration.ofSeconds(3), c.worker().launchTimeout());
        assertEquals("gw-a", c.gateway().id());
    }

    @Test
    void an_unknown_key_is_named_in_the_error() throws IOException {
        Path f = yaml("gateway:\n  prot: 1\n");
        ConfigException e = assertThrows(ConfigException.class, () -> new ConfigLoader(Map.of()).read(f));
        assertTrue(e.getMessage().contains("'prot'"), e.getMessage());
    }

    @Test
    void a_bad_duration_says_how_to_write_one() throws IOException {
        Path f = yaml("gateway:\n  timeout: soon\n");
        ConfigException e = assertThrows(ConfigException.class, () -> new ConfigLoader(Map.of()).read(f));
        assertTrue(e.getMessage().contains("500ms, 30s"), e.getMessage());
    }

    @Test
    void an_invalid_pool_is_refused_with_its_name() throws IOException {
        Path f = yaml("pools:\n  - {name: Echo, version: v1, command: [x], instances: 1}\n");
        ConfigException e = assertThrows(ConfigException.class, () -> new ConfigLoader(Map.of()).read(f));
        assertTrue(e.getMessage().contains("pool name 'Echo' is invalid"), e.getMessage());
    }

    @Test
    void a_pool_defined_twice_is_refused() throws IOException {
        Path f = yaml("pools:\n  - {name: e, version: v1, command: [x]}\n  - {name: e, version: v1, command: [y]}\n");
        ConfigException e = assertThrows(ConfigException.class, () -> new ConfigLoader(Map.of()).read(f));
        assertTrue(e.getMessage().contains("defined twice"), e.getMessage());
    }

    @Test
    void a_missing_file_is_named() {
        ConfigException e = assertThrows(ConfigException.class, () -> new ConfigLoader(Map.of()).read(dir.resolve("nope.yaml")));
        assertTrue(e.getMessage().contains("nope.yaml does not exist"), e.getMessage());
    }

    @Test
    void api_keys_come_from_the_file_and_their_secrets_from_the_environment() throws IOException {
        KatamariConfig c = new ConfigLoader(Map.of("KATAMARI_GATEWAY_API_KEYS_BILLING_KEY", "s3cret-from-env")).read(yaml("""
                gateway:
                  maxPending: 50
                  apiKeys:
                    billing:
                      pools: [invoices]
                    ops:
                      key: from-file
                """));
        assertEquals("s3cret-from-env", c.gateway().apiKeys().get("billing").key());
        assertTrue(c.gateway().apiKeys().get("billing").allows("invoices"));
        assertTrue(!c.gateway().apiKeys().get("billing").allows("other"));
        assertTrue(c.gateway().apiKeys().get("ops").allowsEveryPool());
        assertEquals(50, c.gateway().maxPending());
        assertEquals(GatewaySettings.DEFAULT_MAX_JSON_DEPTH, c.gateway().maxJsonDepth());
        assertTrue(!c.gateway().toString().contains("s3cret") && !c.gateway().toString().contains("from-file"), c.gateway().toString());
    }

    @Test
    void an_api_key_without_a_secret_says_where_to_set_it() throws IOException {
        Path f = yaml("gateway:\n  apiKeys:\n    billing: {pools: [x]}\n");
        ConfigException e = assertThrows(ConfigException.class, () -> new ConfigLoader(Map.of()).read(f));
        assertTrue(e.getMessage().contains("KATAMARI_GATEWAY_API_KEYS_<NAME>_KEY"), e.getMessage());
    }

    @Test
    void a_pool_weight_is_optional_and_checked() throws IOException {
        KatamariConfig c = new ConfigLoader(Map.of()).read(yaml(
                "pools:\n  - {name: e, version: v1, command: [x], weight: 9}\n  - {name: e, version: v2, command: [x]}\n"));
        assertEquals(9, c.pool("e", "v1").orElseThrow().routingWeight());
        assertEquals(1, c.pool("e", "v2").orElseThrow().routingWeight());
        Path f = yaml("pools:\n  - {name: e, version: v1, command: [x], weight: -1}\n");
        ConfigException e = assertThrows(ConfigException.class, () -> new ConfigLoader(Map.of()).read(f));
        assertTrue(e.getMessage().contains("weight must be 0-1000000"), e.getMessage());
    }

    @Test
    void a_pool_prefetch_is_optional_and_checked() throws IOException {
        KatamariConfig c = new ConfigLoader(Map.of()).read(yaml(
                "pools:\n  - {name: e, version: v1, command: [x], prefetch: 8}\n  - {name: e, version: v2, command: [x]}\n"));
        assertEquals(8, c.pool("e", "v1").orElseThrow().prefetchPerInstance());
        assertEquals(1, c.pool("e", "v2").orElseThrow().prefetchPerInstance());
        Path f = yaml("pools:\n  - {name: e, version: v1, command: [x], prefetch: 0}\n");
        ConfigException e = assertThrows(ConfigException.class, () -> new ConfigLoader(Map.of()).read(f));
        assertTrue(e.getMessage().contains("prefetch must be 1-64"), e.getMessage());
    }

    @Test
    void a_pool_pipelines_only_when_it_says_so() throws IOException {
        KatamariConfig c = new ConfigLoader(Map.of()).read(yaml(
                "pools:\n  - {name: e, version: v1, command: [x], pipeline: true}\n  - {name: e, version: v2, command: [x]}\n"));
        assertTrue(c.pool("e", "v1").orElseThrow().pipelines());
        assertFalse(c.pool("e", "v2").orElseThrow().pipelines());
        Path f = yaml("pools:\n  - {name: e, version: v1, command: [x], pipeline: sometimes}\n");
        ConfigException e = assertThrows(ConfigException.class, () -> new ConfigLoader(Map.of()).read(f));
        assertTrue(e.getMessage().contains("pipeline"), e.getMessage());
    }

    @Test
    void a_pool_hedge_is_optional_shorter_than_the_timeout_and_its_cap_a_percentage() throws IOException {
        KatamariConfig c = new ConfigLoader(Map.of()).read(yaml(
                "pools:\n  - {name: e, version: v1, command: [x], hedgeAfter: 50ms, hedgeMaxPercent: 25}\n  - {name: e, version: v2, command: [x]}\n"));
        assertEquals(java.time.Duration.ofMillis(50), c.pool("e", "v1").orElseThrow().hedgeAfter());
        assertEquals(25, c.pool("e", "v1").orElseThrow().hedgeCapPercent());
        assertEquals(null, c.pool("e", "v2").orElseThrow().hedgeAfter());
        assertEquals(10, c.pool("e", "v2").orElseThrow().hedgeCapPercent());
        for (String bad : List.of("hedgeAfter: 0s", "hedgeAfter: 30s", "hedgeMaxPercent: 0", "hedgeMaxPercent: 101")) {
            Path f = yaml("pools:\n  - {name: e, version: v1, command: [x], " + bad + "}\n");
            ConfigException e = assertThrows(ConfigException.class, () -> new ConfigLoader(Map.of()).read(f), bad);
            assertTrue(e.getMessage().contains(bad.substring(0, bad.indexOf(':'))), e.getMessage());
        }
    }

    @Test
    void cancel_running_is_off_by_default_and_must_be_a_boolean() throws IOException {
        KatamariConfig c = new ConfigLoader(Map.of()).read(yaml(
                "pools:\n  - {name: e, version: v1, command: [x], cancelRunning: true}\n  - {name: e, version: v2, command: [x]}\n"));
        assertTrue(c.pool("e", "v1").orElseThrow().cancelsRunning());
        assertFalse(c.pool("e", "v2").orElseThrow().cancelsRunning());
        Path f = yaml("pools:\n  - {name: e, version: v1, command: [x], cancelRunning: sometimes}\n");
        ConfigException e = assertThrows(ConfigException.class, () -> new ConfigLoader(Map.of()).read(f));
        assertTrue(e.getMessage().contains("cancelRunning"), e.getMessage());
    }

    @Test
    void a_pool_cache_maps_methods_to_durations_and_its_bound_is_checked() throws IOException {
        KatamariConfig c = new ConfigLoader(Map.of()).read(yaml(
                "pools:\n  - {name: e, version: v1, command: [x], cache: {count: 60s, echo: 2s}, cacheMaxEntries: 2000}\n"
                        + "  - {name: e, version: v2, command: [x]}\n"));
        PoolDefinition v1 = c.pool("e", "v1").orElseThrow();
        assertEquals(java.time.Duration.ofSeconds(60), v1.cacheTime("count"));
        assertEquals(null, v1.cacheTime("other"));
        assertEquals(2000, v1.cacheBound());
        assertEquals(Map.of(), c.pool("e", "v2").orElseThrow().cache());
        assertEquals(10_000, c.pool("e", "v2").orElseThrow().cacheBound());
        for (String bad : List.of("cache: {count: soon}", "cache: {count: 60}", "cache: {count: 0s}", "cache: {count: 500ms}",
                "cache: {count: 25h}", "cache: [count]", "cacheMaxEntries: 0", "cacheMaxEntries: 100", "cacheMaxEntries: 20000000")) {
            Path f = yaml("pools:\n  - {name: e, version: v1, command: [x], " + bad + "}\n");
            ConfigException e = assertThrows(ConfigException.class, () -> new ConfigLoader(Map.of()).read(f), bad);
            String field = bad.startsWith("cacheMaxEntries") ? "cacheMaxEntries" : bad.contains("[") ? "cache" : "cache.count";
            assertTrue(e.getMessage().contains(field), bad + ": " + e.getMessage());
        }
    }

    @Test
    void the_shipped_dev_config_loads() {
        Path dev = Path.of("..", "etc", "katamari-dev.yaml");
        KatamariConfig c = new ConfigLoader(Map.of("KATAMARI_HOME", "/k")).read(dev);
        assertEquals(4, c.pool("echo", "v1").orElseThrow().instances());
    }

    @Test
    void a_worker_id_and_the_min_isr_of_katamaris_topics_come_from_the_environment() throws IOException {
        Map<String, String> env = Map.of("KATAMARI_WORKER_ID", "worker-2", "KATAMARI_KAFKA_MIN_INSYNC_REPLICAS", "2");
        KatamariConfig c = new ConfigLoader(env).read(yaml("kafka:\n  replicationFactor: 3\n"));
        assertEquals("worker-2", c.worker().id());
        assertEquals(Map.of("min.insync.replicas", "2"), c.kafka().topicConfigs());
    }

    @Test
    void without_a_min_isr_the_brokers_default_applies_and_without_an_id_each_start_picks_one() {
        KatamariConfig c = new ConfigLoader(Map.of()).read(null);
        assertEquals(Map.of(), c.kafka().topicConfigs());
        assertNull(c.worker().id());
    }

    @Test
    void a_min_isr_above_the_replication_factor_is_refused_because_no_write_could_succeed() throws IOException {
        ConfigException e = assertThrows(ConfigException.class,
                () -> new ConfigLoader(Map.of()).read(yaml("kafka:\n  replicationFactor: 1\n  minInsyncReplicas: 2\n")));
        assertTrue(e.getMessage().contains("kafka.minInsyncReplicas"), e.getMessage());
    }

    @Test
    void a_worker_id_that_could_not_name_a_topic_is_refused() throws IOException {
        ConfigException e = assertThrows(ConfigException.class, () -> new ConfigLoader(Map.of()).read(yaml("worker:\n  id: \"w 1/x\"\n")));
        assertTrue(e.getMessage().contains("worker.id"), e.getMessage());
    }
}
