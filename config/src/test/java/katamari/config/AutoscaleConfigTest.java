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

class AutoscaleConfigTest {
    private static final List<String> CAT = List.of("/bin/cat");

    @TempDir
    Path dir;

    private PoolDefinition load(String autoscale) throws IOException {
        Path file = Files.writeString(dir.resolve("k.yaml"), """
                pools:
                  - name: wc
                    version: v1
                    command: [python3, wordcount.py]
                    autoscale: %s
                """.formatted(autoscale));
        return new ConfigLoader(Map.of()).read(file).pool("wc", "v1").orElseThrow();
    }

    private String refused(String autoscale) {
        return assertThrows(ConfigException.class, () -> load(autoscale)).getMessage();
    }

    @Test
    void bounds_alone_take_the_default_thresholds_and_delays() throws IOException {
        Autoscale a = load("{min: 1, max: 16}").autoscale();
        assertEquals(new Autoscale(1, 16, 0.8, 0.3, Duration.ofSeconds(2), Duration.ofSeconds(30)), a);
    }

    @Test
    void thresholds_and_delays_are_tunable() throws IOException {
        Autoscale a = load("{min: 2, max: 4, growAbove: 0.7, shrinkBelow: 0.2, growAfter: 500ms, shrinkAfter: 2m}").autoscale();
        assertEquals(new Autoscale(2, 4, 0.7, 0.2, Duration.ofMillis(500), Duration.ofMinutes(2)), a);
    }

    @Test
    void a_pool_without_autoscale_keeps_a_fixed_count() throws IOException {
        Path file = Files.writeString(dir.resolve("k.yaml"), "pools:\n  - {name: wc, version: v1, command: [cat], instances: 3}\n");
        assertNull(new ConfigLoader(Map.of()).read(file).pool("wc", "v1").orElseThrow().autoscale());
    }

    @Test
    void bad_settings_are_refused_with_the_field_named() {
        assertTrue(refused("{min: 5, max: 2}").contains("autoscale.min (5) is above autoscale.max (2)"), refused("{min: 5, max: 2}"));
        assertTrue(refused("{min: 0, max: 2}").contains("autoscale.min must be 1-1024, was 0"), refused("{min: 0, max: 2}"));
        assertTrue(refused("{min: 1}").contains("autoscale.max is required"), refused("{min: 1}"));
        assertTrue(refused("{max: 4, growAfter: soon}").contains("growAfter: 'soon' is not a duration"), refused("{max: 4, growAfter: soon}"));
        assertTrue(refused("{max: 4, shrinkAfter: 0s}").contains("autoscale.shrinkAfter must be a positive duration"),
                refused("{max: 4, shrinkAfter: 0s}"));
        assertTrue(refused("{max: 4, growAbove: 0.5, shrinkBelow: 0.6}").contains("autoscale.shrinkBelow must be at least 0 and below autoscale.growAbove"),
                refused("{max: 4, growAbove: 0.5, shrinkBelow: 0.6}"));
        assertTrue(refused("{max: 4, growAbove: 1.5}").contains("autoscale.growAbove must be a share above 0 and at most 1"),
                refused("{max: 4, growAbove: 1.5}"));
        assertTrue(refused("{max: 4, mni: 1}").contains("unknown key 'mni'"), refused("{max: 4, mni: 1}"));
    }

    @Test
    void with_autoscale_sets_it_and_keeps_the_rest() {
        PoolDefinition p = PoolDefinition.of("echo", "v1", CAT).withInstances(3).withPrefetch(2);
        PoolDefinition scaled = p.withAutoscale(Autoscale.between(2, 8));
        assertEquals(Autoscale.between(2, 8), scaled.autoscale());
        assertEquals(p, scaled.withAutoscale(null));
        assertEquals(Autoscale.between(2, 8), scaled.withInstances(1).withHedge(Duration.ofSeconds(1), 5).withTimeout(Duration.ofSeconds(9)).autoscale(),
                "every wither keeps it");
        assertEquals(1, scaled.withInstances(1).instances(), "a worker's share may be below min: the record does not clamp it");
    }
}
