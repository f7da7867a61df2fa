package katamari.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
    void the_shipped_dev_config_loads() {
        Path dev = Path.of("..", "etc", "katamari-dev.yaml");
        KatamariConfig c = new ConfigLoader(Map.of("KATAMARI_HOME", "/k")).read(dev);
        assertEquals(4, c.pool("echo", "v1").orElseThrow().instances());
    }
}
