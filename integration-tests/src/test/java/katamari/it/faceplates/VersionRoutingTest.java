package katamari.it.faceplates;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import katamari.config.PoolDefinition;
import katamari.it.support.Http;
import katamari.it.support.Http.Response;
import katamari.it.support.Katamari;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Versions side by side without a cluster: pool {@code echo} in three versions with weights 3, 1 and 0 from the
 * config file; pins by query and header, sticky route keys, and the version that answered in every reply.
 */
class VersionRoutingTest {
    private static Katamari katamari;
    private static String heavy;
    private static String light;
    private static String dark;

    @BeforeAll
    static void start() {
        PoolDefinition a = Katamari.pool("echo", Katamari.echoCommand(), 1).withWeight(3);
        PoolDefinition b = Katamari.pool("echo", Katamari.echoCommand(), 1).withWeight(1);
        PoolDefinition c = Katamari.pool("echo", Katamari.echoCommand(), 1).withWeight(0);
        heavy = a.version();
        light = b.version();
        dark = c.version();
        katamari = Katamari.start(List.of(a, b, c), Katamari.testWorker(), Duration.ofSeconds(20), true);
    }

    @AfterAll
    static void stop() {
        katamari.close();
    }

    private static Response echo(String text, String... headers) {
        return Http.post(katamari.url("/pools/echo/echo"), "{\"text\":\"" + text + "\"}", headers);
    }

    @Test
    void unpinned_requests_split_by_weight_and_weight_zero_gets_none() {
        List<CompletableFuture<Response>> calls = IntStream.range(0, 200)
                .mapToObj(i -> Http.postAsync(katamari.url("/pools/echo/echo"), "{\"text\":\"w" + i + "\"}")).toList();
        Map<String, Integer> byVersion = new HashMap<>();
        for (CompletableFuture<Response> c : calls) {
            Response r = c.join();
            assertEquals(200, r.status(), r.body().toString());
            byVersion.merge(r.header("Katamari-Version"), 1, Integer::sum);
        }
        int h = byVersion.getOrDefault(heavy, 0);
        assertTrue(h >= 120 && h <= 180, "weight 3 of 4 should take about 150 of 200: " + byVersion);
        assertEquals(200, h + byVersion.getOrDefault(light, 0), "weight 0 takes no unpinned request: " + byVersion);
    }

    @Test
    void a_version_is_pinned_by_query_or_header_even_at_weight_zero() {
        Response q = Http.post(katamari.url("/pools/echo/echo?version=" + dark), "{\"text\":\"q\"}");
        assertEquals(200, q.status(), q.body().toString());
        assertEquals(dark, q.header("Katamari-Version"));
        Response h = echo("h", "Katamari-Version", light);
        assertEquals(light, h.header("Katamari-Version"));
        Response both = Http.post(katamari.url("/pools/echo/echo?version=" + light), "{\"text\":\"b\"}", "Katamari-Version", light);
        assertEquals(200, both.status());
    }

    @Test
    void a_pinned_version_that_does_not_exist_is_404_pool_not_found() {
        Response r = echo("x", "Katamari-Version", "v999");
        assertEquals(404, r.status());
        assertEquals("pool_not_found", r.errorCode());
        assertTrue(r.body().path("error").path("message").asText().contains("v999"));
        Response conflict = Http.post(katamari.url("/pools/echo/echo?version=" + heavy), "{\"text\":\"c\"}", "Katamari-Version", light);
        assertEquals(400, conflict.status(), "query and header pinning different versions");
    }

    @Test
    void the_same_route_key_always_lands_on_the_same_version() {
        Map<String, String> versionOf = new HashMap<>();
        for (int round = 0; round < 4; round++) {
            for (int k = 0; k < 25; k++) {
                String key = "user-" + k;
                Response r = echo(key, "Katamari-Route-Key", key);
                assertEquals(200, r.status(), r.body().toString());
                String before = versionOf.putIfAbsent(key, r.header("Katamari-Version"));
                if (before != null) {
                    assertEquals(before, r.header("Katamari-Version"), "key " + key + " moved");
                }
            }
        }
        assertTrue(versionOf.containsValue(heavy) && versionOf.containsValue(light), "25 keys spread over both weighted versions: " + versionOf);
        assertTrue(!versionOf.containsValue(dark), "no key goes to weight 0");
    }

    @Test
    void an_error_names_the_version_it_came_from() {
        Response late = Http.post(katamari.url("/pools/echo/sleep?version=" + light), "{\"ms\":2000}", "Katamari-Timeout-Ms", "200");
        assertEquals(504, late.status());
        assertEquals(light, late.header("Katamari-Version"));
        assertEquals(light, late.body().path("error").path("version").asText());
        assertEquals("echo", late.body().path("error").path("pool").asText());
    }
}
