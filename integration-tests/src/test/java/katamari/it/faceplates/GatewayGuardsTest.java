package katamari.it.faceplates;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import katamari.config.ApiKey;
import katamari.config.GatewaySettings;
import katamari.it.support.Http;
import katamari.it.support.Http.Response;
import katamari.it.support.Katamari;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What stands between a client and the pools: API keys (401/403, never echoed), the per-pool-version bound on
 * pending calls (503 + Retry-After), body limits (413, 400), the request id on every response, the stats and
 * metrics faceplates, and the OpenAPI description matching the routes the server registers.
 */
class GatewayGuardsTest {
    private static final String ALICE = "alice-" + UUID.randomUUID();
    private static final String OPS = "ops-" + UUID.randomUUID();
    private static Katamari katamari;

    @BeforeAll
    static void start() {
        GatewaySettings gateway = Katamari.gateway(Duration.ofSeconds(20)).withOpen(false)
                .withApiKeys(Map.of("alice", new ApiKey(ALICE, List.of("echo")), "ops", new ApiKey(OPS, List.of(ApiKey.ALL))))
                .withMaxPending(2)
                .withLimits(8, 1000);
        katamari = Katamari.start(List.of(Katamari.pool("echo", Katamari.echoCommand(), 1), Katamari.pool("secret", Katamari.echoCommand(), 1)),
                Katamari.testWorker(), gateway, true);
    }

    @AfterAll
    static void stop() {
        katamari.close();
    }

    private static String[] as(String key, String... more) {
        String[] h = new String[more.length + 2];
        h[0] = "Authorization";
        h[1] = "Bearer " + key;
        System.arraycopy(more, 0, h, 2, more.length);
        return h;
    }

    private static Response echo(String pool, String key, String body, String... headers) {
        return Http.post(katamari.url("/pools/" + pool + "/echo"), body, key == null ? headers : as(key, headers));
    }

    @Test
    void no_key_or_an_unknown_key_is_401_and_a_key_calls_only_its_pools() {
        Response none = echo("echo", null, "{\"text\":\"x\"}");
        assertEquals(401, none.status(), none.body().toString());
        assertEquals("unauthorized", none.errorCode());
        assertEquals("Bearer", none.header("WWW-Authenticate"));
        assertEquals(401, echo("echo", "not-a-key", "{\"text\":\"x\"}").status());
        assertEquals(200, echo("echo", ALICE, "{\"text\":\"x\"}").status());
        Response forbidden = echo("secret", ALICE, "{\"text\":\"x\"}");
        assertEquals(403, forbidden.status());
        assertEquals("forbidden", forbidden.errorCode());
        assertTrue(forbidden.body().path("error").path("message").asText().contains("'alice'"), "names the key, never shows it");
        assertEquals(200, echo("secret", OPS, "{\"text\":\"x\"}").status());
        assertEquals(200, Http.get(katamari.url("/healthz")).status(), "health needs no key");
    }

    @Test
    void json_rpc_needs_a_key_and_refuses_pools_the_key_may_not_call() {
        Response none = Http.post(katamari.url("/rpc"), "{\"jsonrpc\":\"2.0\",\"method\":\"echo.echo\",\"params\":{\"text\":\"x\"},\"id\":1}");
        assertEquals(401, none.status());
        assertEquals(-32600, none.body().path("error").path("code").asInt(), none.body().toString());
        assertEquals("unauthorized", none.body().path("error").path("data").path("code").asText());
        Response batch = Http.post(katamari.url("/rpc"), """
                [{"jsonrpc":"2.0","method":"echo.echo","params":{"text":"mine"},"id":1},
                 {"jsonrpc":"2.0","method":"secret.echo","params":{"text":"theirs"},"id":2}]""", as(ALICE));
        assertEquals("mine", batch.body().path(0).path("result").asText(), batch.body().toString());
        assertEquals(-32603, batch.body().path(1).path("error").path("code").asInt());
        assertEquals("forbidden", batch.body().path(1).path("error").path("data").path("code").asText());
    }

    @Test
    void keys_never_appear_in_logs_stats_metrics_or_errors() {
        PrintStream original = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(new TeeStream(original, captured), true, StandardCharsets.UTF_8));
        StringBuilder answers = new StringBuilder();
        try {
            String wrong = "wrong-" + ALICE;
            answers.append(echo("echo", wrong, "{\"text\":\"x\"}").raw().body());
            answers.append(echo("secret", ALICE, "{\"text\":\"x\"}").raw().body());
            answers.append(echo("echo", ALICE, "{\"txt\":\"x\"}").raw().body());
            answers.append(Http.get(katamari.url("/stats"), as(OPS)).raw().body());
            answers.append(Http.get(katamari.url("/metrics"), as(OPS)).raw().body());
            answers.append(Http.get(katamari.url("/metrics"), as(ALICE)).raw().body());
            answers.append(Http.post(katamari.url("/rpc"), "[{\"jsonrpc\":\"2.0\",\"method\":\"secret.echo\",\"id\":1}]", as(ALICE)).raw().body());
        } finally {
            System.setErr(original);
        }
        String logs = captured.toString(StandardCharsets.UTF_8);
        assertTrue(logs.contains("unknown API key"), "the refusal is logged (and the capture works): " + logs);
        for (String key : List.of(ALICE, OPS)) {
            assertFalse(logs.contains(key), "a key reached the log");
            assertFalse(answers.toString().contains(key), "a key reached an answer: " + answers);
        }
        assertFalse(katamari.config().gateway().toString().contains(ALICE), "the settings print without keys");
    }

    @Test
    void past_the_pending_bound_a_call_is_503_overloaded_with_retry_after_at_once() {
        List<CompletableFuture<Response>> slow = List.of(
                Http.postAsync(katamari.url("/pools/echo/sleep"), "{\"ms\":1500}", as(ALICE)),
                Http.postAsync(katamari.url("/pools/echo/sleep"), "{\"ms\":1500}", as(ALICE)));
        Response refused = awaitRefusal(slow);
        assertEquals("overloaded", refused.errorCode(), refused.body().toString());
        assertEquals("1", refused.header("Retry-After"));
        assertTrue(refused.body().path("error").path("message").asText().contains("gateway.maxPending"));
        Response rpc = Http.post(katamari.url("/rpc"), "{\"jsonrpc\":\"2.0\",\"method\":\"echo.echo\",\"params\":{\"text\":\"x\"},\"id\":1}", as(ALICE));
        assertEquals("overloaded", rpc.body().path("error").path("data").path("code").asText(), rpc.body().toString());
        assertEquals(200, echo("secret", OPS, "{\"text\":\"other pools are not held up\"}").status());
        slow.forEach(c -> assertEquals(200, c.join().status()));
        assertEquals(200, echo("echo", ALICE, "{\"text\":\"room again\"}").status());
    }

    /**
     * The two slow calls are pending once the gateway published them (its stats say so); then a third is refused. When
     * they never are, the failure says what became of them (this failed once in ten runs, unexplained: issue 16's note).
     */
    private static Response awaitRefusal(List<CompletableFuture<Response>> slow) {
        String version = katamari.pool("echo").version();
        java.util.concurrent.atomic.AtomicInteger seen = new java.util.concurrent.atomic.AtomicInteger(-1);
        try {
            org.awaitility.Awaitility.await("two calls pending").atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(20))
                    .until(() -> {
                        seen.set(Http.get(katamari.url("/stats"), as(ALICE)).body().path("pools").path("echo").path(version).path("pending").asInt());
                        return seen.get() == 2;
                    });
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            StringBuilder calls = new StringBuilder();
            for (CompletableFuture<Response> c : slow) {
                calls.append(!c.isDone() ? " [not answered yet]"
                        : c.isCompletedExceptionally() ? " [failed: " + c.handle((r, t) -> String.valueOf(t)).join() + "]"
                        : " [" + c.join().status() + " " + c.join().body() + "]");
            }
            throw new AssertionError("the two slow calls were never both pending (last seen: " + seen.get() + "); they:" + calls, e);
        }
        long t0 = System.nanoTime();
        Response r = echo("echo", ALICE, "{\"text\":\"third\"}");
        assertEquals(503, r.status(), r.body().toString());
        assertTrue(System.nanoTime() - t0 < Duration.ofMillis(500).toNanos(), "refused at once, not after a wait");
        return r;
    }

    @Test
    void bodies_past_the_limits_are_refused() {
        String deep = "{\"text\":" + "[".repeat(9) + "]".repeat(9) + "}";
        Response tooDeep = echo("echo", ALICE, deep);
        assertEquals(400, tooDeep.status());
        assertTrue(tooDeep.body().path("error").path("message").asText().contains("gateway.maxJsonDepth"), tooDeep.body().toString());
        Response longString = echo("echo", ALICE, "{\"text\":\"" + "x".repeat(1001) + "\"}");
        assertEquals(400, longString.status());
        assertTrue(longString.body().path("error").path("message").asText().contains("gateway.maxStringLength"), longString.body().toString());
        assertEquals(400, echo("echo", ALICE, "{\"" + "k".repeat(1001) + "\":1}").status(), "field names are strings too");
        assertEquals(200, echo("echo", ALICE, "{\"text\":\"" + "x".repeat(900) + "\"}").status(), "within the limits");
        Response rpc = Http.post(katamari.url("/rpc"), "{\"jsonrpc\":\"2.0\",\"method\":\"echo.echo\",\"params\":{\"text\":" + "[".repeat(9)
                + "]".repeat(9) + "},\"id\":1}", as(ALICE));
        assertEquals(-32600, rpc.body().path("error").path("code").asInt(), rpc.body().toString());
        Response tooLarge = echo("echo", ALICE, "{\"text\":\"" + "x".repeat(1024 * 1024) + "\"}");
        assertEquals(413, tooLarge.status());
        assertEquals("payload_too_large", tooLarge.errorCode());
    }

    @Test
    void every_response_carries_the_request_id() {
        List<Response> all = List.of(
                Http.get(katamari.url("/no/such/route")),
                Http.post(katamari.url("/pools/echo"), "{}", as(ALICE)),
                Http.get(katamari.url("/healthz")),
                Http.get(katamari.url("/readyz")),
                Http.get(katamari.url("/openapi.json")),
                Http.get(katamari.url("/stats")),
                Http.get(katamari.url("/stats"), as(ALICE)),
                echo("echo", null, "{}"),
                echo("echo", ALICE, "{\"text\":\"ok\"}"),
                echo("nosuch", ALICE, "{}"));
        for (Response r : all) {
            String id = r.header("Katamari-Id");
            assertNotNull(id, r.raw().uri() + " " + r.status() + " has no Katamari-Id");
            if (r.body().has("id") && r.body().path("id").isTextual()) {
                assertEquals(id, r.body().path("id").asText(), "header and body name the same id");
            }
        }
        assertEquals(404, all.get(0).status());
        assertTrue(all.get(0).body().path("error").path("message").asText().contains("no route GET /no/such/route"));
    }

    @Test
    void stats_show_the_callers_pools_and_metrics_need_a_key_for_every_pool() {
        echo("echo", ALICE, "{\"text\":\"counted\"}");
        Http.post(katamari.url("/pools/echo/sleep"), "{\"ms\":1000}", as(ALICE, "Katamari-Timeout-Ms", "100"));
        JsonNode stats = Http.get(katamari.url("/stats"), as(ALICE)).body();
        JsonNode v = stats.path("pools").path("echo").path(katamari.pool("echo").version());
        assertTrue(v.path("requests").asLong() >= 2, stats.toString());
        assertTrue(v.path("requestsPerSecond").asDouble() > 0, stats.toString());
        assertTrue(v.path("latencyMs").path("p50").isNumber() && v.path("latencyMs").path("p99").isNumber(), stats.toString());
        assertTrue(v.path("errors").path("timeout").asLong() >= 1, stats.toString());
        assertEquals(2, v.path("maxPending").asInt());
        assertTrue(v.path("instances").isMissingNode(), "no cluster, no heartbeats: instances are unknown, so absent");
        assertFalse(stats.path("pools").has("secret"), "alice sees only her pools: " + stats);
        assertTrue(Http.get(katamari.url("/stats"), as(OPS)).body().path("pools").has("secret"));

        assertEquals(403, Http.get(katamari.url("/metrics"), as(ALICE)).status());
        Response metrics = Http.get(katamari.url("/metrics"), as(OPS));
        assertEquals(200, metrics.status());
        assertTrue(metrics.header("content-type").startsWith("text/plain"));
        String text = Http.text(metrics);
        assertTrue(text.contains("katamari_gateway_calls_total{") && text.contains("outcome=\"timeout\""), text);
        assertTrue(text.contains("katamari_gateway_latency_seconds{") && text.contains("quantile=\"0.99\""), text);
        assertTrue(text.contains("katamari_gateway_pending{"), text);
        assertTrue(text.contains("jvm_memory_used_bytes"), text);
    }

    @Test
    void only_the_key_that_made_a_call_may_cancel_it() throws Exception {
        String id = "alices-" + UUID.randomUUID();
        java.util.concurrent.CompletableFuture<Response> call = Http.postAsync(katamari.url("/pools/echo/sleep"), "{\"ms\": 3000}",
                as(ALICE, "Katamari-Id", id));
        String echoVersion = katamari.pool("echo").version();
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> Http.get(katamari.url("/stats"), as(ALICE)).body()
                .path("pools").path("echo").path(echoVersion).path("pending").asInt() == 1);
        String url = katamari.url("/requests/" + id);
        assertEquals(401, Http.send("DELETE", url, null).status(), "a cancel needs a key");
        Response other = Http.send("DELETE", url, null, as(OPS));
        assertEquals(404, other.status(), "another key's call is not found: " + other.body());
        assertEquals("not_found", other.errorCode());
        assertEquals(202, Http.send("DELETE", url, null, as(ALICE)).status());
        assertEquals("cancelled", call.get(10, java.util.concurrent.TimeUnit.SECONDS).errorCode());
    }

    @Test
    void the_openapi_description_matches_the_routes_the_server_registers() {
        Response r = Http.get(katamari.url("/openapi.json"));
        assertEquals(200, r.status());
        assertTrue(r.body().path("openapi").asText().startsWith("3."));
        TreeSet<String> documented = new TreeSet<>();
        r.body().path("paths").fields().forEachRemaining(p -> p.getValue().fieldNames()
                .forEachRemaining(method -> documented.add(method.toUpperCase() + " " + p.getKey())));
        TreeSet<String> served = new TreeSet<>(katamari.gateway().routes());
        assertEquals(served, documented);
        // and what it says about security holds: the operations it marks open answer without a key
        r.body().path("paths").fields().forEachRemaining(p -> p.getValue().fields().forEachRemaining(op -> {
            boolean open = op.getValue().has("security") && op.getValue().path("security").isEmpty();
            if (op.getKey().equals("get")) {
                int status = Http.get(katamari.url(p.getKey())).status();
                assertEquals(open, status != 401, p.getKey() + " answered " + status);
            }
        }));
    }

    /** Writes to both streams: the test sees the log, and so does the console. */
    private static final class TeeStream extends java.io.OutputStream {
        private final java.io.OutputStream a;
        private final java.io.OutputStream b;

        TeeStream(java.io.OutputStream a, java.io.OutputStream b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public void write(int c) throws java.io.IOException {
            a.write(c);
            b.write(c);
        }

        @Override
        public void write(byte[] buf, int off, int len) throws java.io.IOException {
            a.write(buf, off, len);
            b.write(buf, off, len);
        }
    }
}
