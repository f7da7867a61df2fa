package katamari.dispatcher.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import katamari.cluster.Drain;
import katamari.cluster.MetadataJson;
import katamari.cluster.PoolVersion;
import katamari.config.ClusterSettings;
import katamari.dispatcher.deadletters.DeadLetterTail;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The console's files are served to anyone; the data it reads, and everything it writes, still need the admin key. */
class ConsoleRoutesTest {
    private static final String KEY = "console-test-key";
    private final HttpClient http = HttpClient.newHttpClient();
    private AdminApi api;

    @AfterEach
    void stop() {
        if (api != null) {
            api.close();
        }
    }

    @Test
    void the_console_page_is_served_without_a_key_but_its_data_needs_one() throws Exception {
        start(KEY);
        HttpResponse<String> page = get("/", null);
        assertEquals(200, page.statusCode());
        assertTrue(page.body().contains("<script src=\"console.js\"></script>"), page.body());
        assertEquals(200, get("/console.js", null).statusCode());
        assertEquals(401, get("/cluster", null).statusCode());
        assertEquals(401, get("/cluster/history", null).statusCode());
        assertEquals(401, get("/dead-letters", null).statusCode());
        assertEquals(403, get("/cluster", "wrong").statusCode());
        assertEquals(200, get("/cluster/history", KEY).statusCode());
    }

    @Test
    void dead_letters_take_a_limit_of_1_to_100_and_refuse_anything_else_with_bad_request() throws Exception {
        start(KEY);
        assertEquals(200, get("/dead-letters?limit=100", KEY).statusCode());
        for (String bad : List.of("0", "101", "ten", "-1")) {
            HttpResponse<String> r = get("/dead-letters?limit=" + bad, KEY);
            assertEquals(400, r.statusCode(), bad);
            JsonNode error = MetadataJson.mapper().readTree(r.body()).path("error");
            assertEquals("bad_request", error.path("code").asText());
            assertTrue(error.path("message").asText().contains("1-100"), r.body());
        }
    }

    @Test
    void a_rollout_body_is_checked_whole_and_refused_with_bad_request_naming_what_is_wrong() throws Exception {
        start(KEY);
        Map<String, String> refused = Map.of(
                "{\"pool\":\"echo\",\"version\":\"v2\",\"stepz\":[100]}", "unknown field 'stepz'",
                "{\"pool\":\"echo\",\"version\":\"v2\",\"steps\":[50,20,100]}", "steps must grow",
                "{\"pool\":\"echo\",\"version\":\"v2\",\"steps\":[10,50]}", "ending at 100",
                "{\"pool\":\"echo\",\"version\":\"v2\",\"stepTime\":\"soon\"}", "'stepTime'",
                "{\"pool\":\"echo\",\"version\":\"v2\",\"maxErrorRate\":2}", "'maxErrorRate'",
                "{\"pool\":\"../x\",\"version\":\"v2\"}", "pool",
                "{\"pool\":\"echo\",\"version\":\"v2\",\"definition\":{\"command\":[\"java\"],\"instancez\":1}}", "'definition': unknown field 'instancez'",
                "[1]", "JSON object");
        for (Map.Entry<String, String> e : refused.entrySet()) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.port() + "/rollouts"))
                    .header(AdminApi.KEY_HEADER, KEY).POST(HttpRequest.BodyPublishers.ofString(e.getKey())).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(400, r.statusCode(), e.getKey() + " -> " + r.body());
            JsonNode error = MetadataJson.mapper().readTree(r.body()).path("error");
            assertEquals("bad_request", error.path("code").asText());
            assertTrue(error.path("message").asText().contains(e.getValue()), e.getKey() + " -> " + r.body());
        }
        assertEquals("[]", MetadataJson.mapper().readTree(get("/rollouts", KEY).body()).path("rollouts").toString(), "nothing started");
    }

    @Test
    void a_write_from_another_web_page_is_refused_even_where_the_api_is_open() throws Exception {
        api = new AdminApi(ClusterSettings.defaults().withMember("127.0.0.1", 5701, 0).withAdminOpen(true), new EmptyBackend()).start();
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.port() + "/pools/echo"))
                .method("PATCH", HttpRequest.BodyPublishers.ofString("{\"weights\":{\"v1\":0}}"));
        HttpResponse<String> foreign = http.send(b.copy().header("Origin", "http://evil.example").build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(403, foreign.statusCode(), foreign.body());
        assertTrue(foreign.body().contains("another web page"), foreign.body());
        HttpResponse<String> own = http.send(b.copy().header("Origin", "http://127.0.0.1:" + api.port()).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(404, own.statusCode(), "the console's own write goes through (to a pool that does not exist here): " + own.body());
        assertEquals(404, http.send(b.build(), HttpResponse.BodyHandlers.ofString()).statusCode(), "no Origin: curl, the CLI");
        HttpResponse<String> page = get("/", null);
        assertTrue(page.headers().firstValue("Content-Security-Policy").orElse("").contains("default-src 'self'"), page.headers().toString());
    }

    /** DNS rebinding: another site's name pointed at 127.0.0.1 makes its page same-origin with an open API. */
    @Test
    void an_open_api_answers_only_requests_addressed_to_an_ip_localhost_or_its_own_host() throws Exception {
        api = new AdminApi(ClusterSettings.defaults().withMember("127.0.0.1", 5701, 0).withAdminOpen(true), new EmptyBackend()).start();
        String rebound = rawGet("/cluster", "evil.example:" + api.port());
        assertTrue(rebound.startsWith("HTTP/1.1 403"), rebound);
        assertTrue(rebound.contains("evil.example"), "the refusal names the host: " + rebound);
        assertTrue(rawGet("/cluster", "localhost:" + api.port()).startsWith("HTTP/1.1 200"));
        assertTrue(rawGet("/cluster", "127.0.0.1:" + api.port()).startsWith("HTTP/1.1 200"));
        assertTrue(rawGet("/cluster", "[::1]:" + api.port()).startsWith("HTTP/1.1 200"));
    }

    @Test
    void with_a_key_any_host_name_is_answered_but_only_with_the_key_and_a_keyless_write_is_refused() throws Exception {
        start(KEY);
        assertTrue(rawGet("/cluster", "admin.example:" + api.port()).startsWith("HTTP/1.1 401"), "the key, not the name, decides");
        HttpResponse<String> write = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.port() + "/pools/echo"))
                .method("PATCH", HttpRequest.BodyPublishers.ofString("{\"weights\":{\"v1\":0}}")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(401, write.statusCode(), write.body());
    }

    /** A GET with a Host header of our choosing (java.net.http will not send one). */
    private String rawGet(String path, String host) throws Exception {
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", api.port())) {
            s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n")
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            return new String(s.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    private void start(String key) {
        ClusterSettings settings = ClusterSettings.defaults().withMember("127.0.0.1", 5701, 0).withAdminKey(key);
        api = new AdminApi(settings, new EmptyBackend()).start();
    }

    private HttpResponse<String> get(String path, String key) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.port() + path));
        if (key != null) {
            b.header(AdminApi.KEY_HEADER, key);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** A cluster with nothing in it, led by this dispatcher. */
    private static final class EmptyBackend implements AdminBackend {
        @Override public boolean isLeader() { return true; }
        @Override public String leaderAdminUrl() { return null; }
        @Override public String selfAdminUrl() { return "http://127.0.0.1"; }
        @Override public List<PoolVersion> pools() { return List.of(); }
        @Override public Map<String, Object> clusterView() { return Map.of("pools", Map.of()); }
        @Override public PoolVersion upsert(PoolVersion requested) { return requested; }
        @Override public List<PoolVersion> setWeights(String pool, Map<String, Integer> weights) { return List.of(); }
        @Override public Drain drain(String worker, boolean draining) { throw new UnsupportedOperationException(); }
        @Override public List<DeadLetterTail.DeadLetter> deadLetters(int limit) { return List.of(); }
        @Override public List<String> delete(String pool, String version) { return List.of(); }
    }
}
