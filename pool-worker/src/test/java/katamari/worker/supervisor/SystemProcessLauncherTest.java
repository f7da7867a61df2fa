package katamari.worker.supervisor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import katamari.config.PoolDefinition;
import org.junit.jupiter.api.Test;

/** What an instance's process inherits from its agent: only what its pool lists, plus the three KATAMARI_ names. */
class SystemProcessLauncherTest {
    private static final PoolDefinition POOL = new PoolDefinition("echo", "v1", List.of("env"), 1, null, null, null, null, null, null,
            null, null, null);

    @Test
    void an_instance_sees_only_the_variables_its_pool_lists_and_its_own_names() {
        Map<String, String> agent = Map.of("PATH", "/usr/bin", "HOME", "/root", "KATAMARI_ADMIN_KEY", "s3cret", "AWS_SECRET_ACCESS_KEY", "x");
        Map<String, String> env = SystemProcessLauncher.environment(POOL.withInheritEnv(List.of("PATH", "NOT_SET"))
                .withEnv(Map.of("MODE", "fast")), "w1-echo-v1-0", agent);
        assertEquals(new TreeMap<>(Map.of("PATH", "/usr/bin", "MODE", "fast", "KATAMARI_POOL", "echo", "KATAMARI_VERSION", "v1",
                "KATAMARI_INSTANCE", "w1-echo-v1-0")), new TreeMap<>(env), "the agent's secrets, HOME and unset names stay out");
    }

    @Test
    void the_pools_own_env_wins_over_an_inherited_value_but_not_over_katamaris_names() {
        Map<String, String> env = SystemProcessLauncher.environment(POOL.withInheritEnv(List.of("MODE"))
                .withEnv(Map.of("MODE", "pool", "KATAMARI_POOL", "forged")), "i", Map.of("MODE", "agent"));
        assertEquals("pool", env.get("MODE"));
        assertEquals("echo", env.get("KATAMARI_POOL"), "an instance is always told its real pool");
    }

    /** A real child process (/usr/bin/env) prints the environment it was started with; by default it inherits PATH only. */
    @Test
    void a_real_process_is_started_with_the_scrubbed_environment_only() throws Exception {
        Process p = SystemProcessLauncher.INSTANCE.start(POOL.withCommand(List.of("/usr/bin/env")).withEnv(Map.of("MODE", "fast")), "w1-echo-v1-7");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(10, TimeUnit.SECONDS));
        Map<String, String> seen = new TreeMap<>();
        for (String line : out.split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                seen.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        assertEquals(new TreeMap<>(Map.of("PATH", System.getenv("PATH"), "MODE", "fast", "KATAMARI_POOL", "echo", "KATAMARI_VERSION", "v1",
                "KATAMARI_INSTANCE", "w1-echo-v1-7")), seen, "nothing else of this JVM's environment (HOME, ...) reached the child: " + out);
    }
}
