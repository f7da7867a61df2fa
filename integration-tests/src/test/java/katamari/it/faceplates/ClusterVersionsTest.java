package katamari.it.faceplates;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import katamari.it.support.Http;
import katamari.it.support.Http.Response;
import katamari.it.support.InProcessCluster;
import katamari.it.support.Katamari;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Versions and stats with the masters: weights set through the admin API steer the gateway's routing; the stats
 * faceplate shows instances and restarts from the workers' heartbeats and queue depth from the share group.
 */
class ClusterVersionsTest {
    private static InProcessCluster cluster;

    @BeforeAll
    static void start() {
        cluster = InProcessCluster.start(Katamari.gateway(Duration.ofSeconds(20)));
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static void put(String pool, String version, List<String> command, int instances, int weight) {
        Response r = cluster.admin("PUT", "/pools/" + pool + "/" + version, InProcessCluster.poolBody(command, instances, weight));
        assertTrue(r.status() == 201 || r.status() == 200, r.body().toString());
    }

    private static Map<String, Integer> spread(String pool, int n, String... headers) {
        List<CompletableFuture<Response>> calls = IntStream.range(0, n)
                .mapToObj(i -> Http.postAsync(cluster.url("/pools/" + pool + "/echo"), "{\"text\":\"s" + i + "\"}", headers)).toList();
        Map<String, Integer> byVersion = new HashMap<>();
        for (CompletableFuture<Response> c : calls) {
            Response r = c.join();
            assertEquals(200, r.status(), r.body().toString());
            byVersion.merge(r.header("Katamari-Version"), 1, Integer::sum);
        }
        return byVersion;
    }

    private static JsonNode stats(String pool, String version) {
        return Http.get(cluster.url("/stats")).body().path("pools").path(pool).path(version);
    }

    @Test
    void weights_set_through_the_admin_api_steer_routing_and_keys_stay_while_weights_stay() {
        put("ab", "v1", Katamari.echoCommand(), 1, 1);
        put("ab", "v2", Katamari.echoCommand(), 1, 0);
        cluster.awaitAvailable("ab", "v1", 1);
        cluster.awaitAvailable("ab", "v2", 1);
        assertEquals(Map.of("v1", 20), spread("ab", 20));

        Response patched = cluster.admin("PATCH", "/pools/ab", "{\"weights\":{\"v1\":0,\"v2\":1}}");
        assertEquals(200, patched.status(), patched.body().toString());
        assertEquals(1, patched.body().path("versions").path(1).path("weight").asInt());
        Awaitility.await("all traffic on v2").atMost(Duration.ofSeconds(2)).pollInterval(Duration.ofMillis(50))
                .until(() -> spread("ab", 5).equals(Map.of("v2", 5)));

        cluster.admin("PATCH", "/pools/ab", "{\"weights\":{\"v1\":1,\"v2\":1}}");
        Awaitility.await("both versions serve").atMost(Duration.ofSeconds(2)).pollInterval(Duration.ofMillis(50))
                .until(() -> spread("ab", 20).size() == 2);
        Map<String, String> versionOf = new HashMap<>();
        for (int round = 0; round < 3; round++) {
            for (int k = 0; k < 20; k++) {
                Map<String, Integer> one = spread("ab", 1, "Katamari-Route-Key", "key-" + k);
                String v = one.keySet().iterator().next();
                assertEquals(versionOf.computeIfAbsent("key-" + k, x -> v), v, "key-" + k + " moved while the weights stayed");
            }
        }
        assertTrue(versionOf.containsValue("v1") && versionOf.containsValue("v2"), versionOf.toString());

        assertEquals(404, cluster.admin("PATCH", "/pools/ab", "{\"weights\":{\"v9\":1}}").status());
        assertEquals(400, cluster.admin("PATCH", "/pools/ab", "{\"weights\":{\"v1\":-1}}").status());
        assertEquals(400, cluster.admin("PATCH", "/pools/ab", "{\"weight\":1}").status());
        cluster.admin("DELETE", "/pools/ab", null);
    }

    @Test
    void stats_show_instances_busy_and_available_restarts_and_queue_depth() {
        put("st", "v1", Katamari.echoCommand(), 1, 1);
        put("crashy", "v1", Katamari.faultyCommand(), 1, 1);
        cluster.awaitAvailable("st", "v1", 1);
        cluster.awaitAvailable("crashy", "v1", 1);
        Awaitility.await("one available instance in /stats").atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(100))
                .until(() -> stats("st", "v1").path("instances").path("available").asInt() == 1);

        // the broker knows the share group's position once it acknowledged a first record
        assertEquals(200, Http.post(cluster.url("/pools/st/echo"), "{\"text\":\"first\"}").status());
        Awaitility.await("queue depth known").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200))
                .until(() -> stats("st", "v1"), s -> s.path("queueDepth").isNumber());
        List<CompletableFuture<Response>> slow = IntStream.range(0, 6)
                .mapToObj(i -> Http.postAsync(cluster.url("/pools/st/sleep"), "{\"ms\":1000}")).toList();
        Awaitility.await("the instance is busy and requests wait in the queue").atMost(Duration.ofSeconds(8)).pollInterval(Duration.ofMillis(100))
                .until(() -> stats("st", "v1"), s -> s.path("instances").path("busy").asInt() == 1 && s.path("queueDepth").asLong() >= 1
                        && s.path("pending").asInt() >= 2);
        slow.forEach(c -> assertEquals(200, c.join().status()));
        Awaitility.await("the queue drained").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200))
                .until(() -> stats("st", "v1"), s -> s.path("queueDepth").asLong() == 0 && s.path("instances").path("available").asInt() == 1);

        Response crashed = Http.post(cluster.url("/pools/crashy/crash"), "{}");
        assertEquals("instance_crashed", crashed.errorCode(), crashed.body().toString());
        Awaitility.await("restarts counted").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200))
                .until(() -> stats("crashy", "v1").path("instances").path("restarts").asInt() >= 1);
        JsonNode s = stats("crashy", "v1");
        assertEquals(1, s.path("errors").path("instance_crashed").asInt(), s.toString());

        String metrics = Http.text(Http.get(cluster.url("/metrics")));
        assertTrue(metrics.contains("katamari_instances_available{") && metrics.contains("katamari_queue_depth{"), metrics);

        // the masters add up what the gateways report, in GET /cluster and the dispatcher's own /metrics
        Awaitility.await("gateway traffic reaches the master").atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(200))
                .until(() -> cluster.admin("GET", "/cluster", null).body().path("pools").path("crashy").path(0).path("failures").asInt() == 1);
        Response dispatcherMetrics = cluster.admin("GET", "/metrics", null);
        assertEquals(200, dispatcherMetrics.status());
        String text = Http.text(dispatcherMetrics);
        assertTrue(text.contains("katamari_cluster_version_available{") && text.contains("katamari_dispatcher_leader{"), text);
        assertTrue(text.matches("(?s).*katamari_cluster_version_failures\\{[^}]*pool=\"crashy\"[^}]*\\} 1\\.0.*"), text);
        assertEquals(401, Http.get(cluster.adminUrl() + "/metrics").status(), "the dispatcher's metrics need the admin key");
        cluster.admin("DELETE", "/pools/st", null);
        cluster.admin("DELETE", "/pools/crashy", null);
    }
}
