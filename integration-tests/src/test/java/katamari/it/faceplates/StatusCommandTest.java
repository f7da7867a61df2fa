package katamari.it.faceplates;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import katamari.it.support.Http;
import katamari.it.support.InProcessCluster;
import katamari.it.support.Katamari;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code bin/katamari status}, run as an operator runs it (the jar, the key in the environment), against a cluster. */
class StatusCommandTest {
    private static InProcessCluster cluster;

    @BeforeAll
    static void start() {
        cluster = InProcessCluster.start(Katamari.gateway(java.time.Duration.ofSeconds(20)));
        assertEquals(2, cluster.admin("PUT", "/pools/glance/v1", InProcessCluster.poolBody(Katamari.echoCommand(), 2, 1)).status() / 100);
        cluster.awaitAvailable("glance", "v1", 2);
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void status_shows_the_master_the_workers_and_each_pool_versions_instances_and_rate() throws Exception {
        for (int i = 0; i < 20; i++) {
            Http.post(cluster.url("/pools/glance/echo"), "{\"text\":\"r" + i + "\"}");
        }
        Run r = status(Map.of("KATAMARI_CLUSTER_ADMIN_KEY", InProcessCluster.ADMIN_KEY), "--admin", cluster.adminUrl(), "--interval", "300ms");
        assertEquals(0, r.code(), r.out());
        assertTrue(r.out().contains("master: 127.0.0.1:"), r.out());
        assertTrue(r.out().matches("(?s).*\\nglance/v1\\s+1\\s+2\\s+2\\s+2\\s+0\\s.*"), "weight 1, want 2, run 2, idle 2, busy 0:\n" + r.out());
        assertTrue(r.out().contains("WORKER") && r.out().contains(" ok "), r.out());
    }

    @Test
    void a_wrong_key_is_a_clear_error_and_a_non_zero_exit() throws Exception {
        Run r = status(Map.of("KATAMARI_CLUSTER_ADMIN_KEY", "wrong"), "--admin", cluster.adminUrl(), "--interval", "100ms");
        assertEquals(3, r.code(), r.out());
        assertTrue(r.out().contains("refused the key") && r.out().contains("KATAMARI_CLUSTER_ADMIN_KEY"), r.out());
    }

    @Test
    void an_unreachable_cluster_is_a_clear_error_and_a_non_zero_exit() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort(); // closed again: nothing listens there
        }
        Run r = status(Map.of(), "--admin", "http://127.0.0.1:" + port, "--interval", "100ms");
        assertEquals(3, r.code(), r.out());
        assertTrue(r.out().contains("unreachable"), r.out());
    }

    private record Run(int code, String out) {}

    private static Run status(Map<String, String> env, String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of("java", "-jar", Katamari.HOME.resolve("launcher/target/katamari.jar").toString(), "status"));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().remove("KATAMARI_CLUSTER_ADMIN_KEY");
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "status returned");
        return new Run(p.exitValue(), out);
    }
}
