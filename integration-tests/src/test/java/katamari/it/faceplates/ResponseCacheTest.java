package katamari.it.faceplates;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import katamari.gateway.Gateway;
import katamari.it.support.Http;
import katamari.it.support.Http.Response;
import katamari.it.support.InProcessCluster;
import katamari.it.support.KafkaFixture;
import katamari.it.support.Katamari;
import katamari.topics.TopicNames;
import katamari.worker.InstanceStatus;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The response cache on a real broker, a real Hazelcast member (the dispatcher) with the gateways and the worker as its
 * clients, and real chassis processes: pool {@code rc} (the faulty chassis) caches {@code slow} for 30 s and
 * {@code echo} for 3 s. {@code slow} appends a line to the file its {@code log} argument names each time it runs, so
 * the tests count the chassis's calls; each test logs to a file of its own, so no two share a cache key.
 */
class ResponseCacheTest {
    private static final String CACHE = "Katamari-Cache";
    private static InProcessCluster cluster;
    private static Gateway second;

    @TempDir
    static Path dir;

    @BeforeAll
    static void start() {
        cluster = InProcessCluster.start(Katamari.gateway(Duration.ofSeconds(20)));
        put("rc", "v1", "{\"slow\":\"30s\",\"echo\":\"3s\"}", 1);
        second = cluster.addGateway();
        cluster.awaitAvailable("rc", "v1", 1);
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static Response put(String pool, String version, String cache, int weight) {
        String body = InProcessCluster.poolBody(Katamari.faultyCommand(), 1, weight);
        Response r = cluster.admin("PUT", "/pools/" + pool + "/" + version, body.substring(0, body.length() - 1) + ",\"cache\":" + cache + "}");
        assertTrue(r.status() == 201 || r.status() == 200, r.body().toString());
        return r;
    }

    private static String slowArgs(Path log) {
        return "{\"ms\":0,\"log\":\"" + log + "\"}";
    }

    private static Response slow(String gatewayUrl, Path log, String... headers) {
        Response r = Http.post(gatewayUrl + "/pools/rc/slow", slowArgs(log), headers);
        assertEquals(200, r.status(), r.body().toString());
        return r;
    }

    private static long runs(Path log) throws IOException {
        return Files.exists(log) ? Files.readAllLines(log).size() : 0;
    }

    /** Calls until one is a hit (the agent stores an answer just after it replies), counting the misses on the way. */
    private static long missesUntilHit(String gatewayUrl, Path log) {
        AtomicLong misses = new AtomicLong();
        Awaitility.await("a hit").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).until(() -> {
            String said = slow(gatewayUrl, log).header(CACHE);
            if ("miss".equals(said)) {
                misses.incrementAndGet();
            }
            return "hit".equals(said);
        });
        return misses.get();
    }

    @Test
    void a_call_after_a_miss_is_answered_from_the_cache_without_calling_the_chassis_again() throws IOException {
        Path log = dir.resolve("hit.log");
        Response first = slow(cluster.url(""), log);
        assertEquals("miss", first.header(CACHE));
        long misses = 1 + missesUntilHit(cluster.url(""), log);
        assertEquals(misses, runs(log), "one chassis call per miss");
        for (int i = 0; i < 5; i++) {
            Response hit = slow(cluster.url(""), log);
            assertEquals("hit", hit.header(CACHE));
            assertEquals(first.body().path("result"), hit.body().path("result"), "the cached answer is the chassis's");
            assertEquals("v1", hit.header("Katamari-Version"));
            assertTrue(!hit.body().path("id").asText().equals(first.body().path("id").asText()), "a hit is answered under its own id");
        }
        assertEquals(misses, runs(log), "hits never reach the chassis");
    }

    @Test
    void a_second_gateway_is_answered_from_what_the_first_one_cached() throws IOException {
        Path log = dir.resolve("shared.log");
        slow(cluster.url(""), log);
        missesUntilHit(cluster.url(""), log);
        long before = runs(log);
        String secondUrl = "http://127.0.0.1:" + second.port();
        assertEquals("hit", slow(secondUrl, log).header(CACHE), "the other gateway's first call of these arguments is a hit");
        assertEquals("hit", slow(secondUrl, log).header(CACHE));
        assertEquals(before, runs(log));
    }

    @Test
    void arguments_in_another_key_order_are_the_same_entry_and_json_rpc_reads_it_too() throws IOException {
        Path log = dir.resolve("order.log");
        slow(cluster.url(""), log);
        missesUntilHit(cluster.url(""), log);
        long before = runs(log);
        Response reordered = Http.post(cluster.url("/pools/rc/slow"), "{\"log\":\"" + log + "\",\"ms\":0}");
        assertEquals("hit", reordered.header(CACHE));
        Response rpc = Http.post(cluster.url("/rpc"), "{\"jsonrpc\":\"2.0\",\"method\":\"rc.slow\",\"params\":" + slowArgs(log) + ",\"id\":7}");
        assertEquals(200, rpc.status(), rpc.body().toString());
        assertEquals("hit", rpc.header(CACHE));
        assertEquals(7, rpc.body().path("id").asInt());
        assertTrue(rpc.body().path("result").isNumber(), rpc.body().toString());
        assertEquals(before, runs(log));
    }

    @Test
    void an_answer_stored_by_a_request_produced_straight_to_kafka_is_a_hit_at_the_gateway() throws Exception {
        Path log = dir.resolve("direct.log");
        Properties props = new Properties();
        props.put("bootstrap.servers", KafkaFixture.bootstrapServers());
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
            // fire-and-forget, the arguments in another order than the gateway's call below
            String value = "{\"args\":{\"log\":\"" + log + "\",\"ms\":0},\"method\":\"slow\"}";
            producer.send(new ProducerRecord<>(TopicNames.requests("rc", "v1"), value.getBytes(StandardCharsets.UTF_8))).get();
        }
        Awaitility.await("the direct request ran").atMost(Duration.ofSeconds(10)).until(() -> runs(log) == 1);
        AtomicReference<String> said = new AtomicReference<>();
        // the agent stores just after the chassis answered (the line is written before that): a moment for it to land
        Awaitility.await("the gateway hits what the agent stored").atMost(Duration.ofSeconds(5)).pollDelay(Duration.ofMillis(300))
                .pollInterval(Duration.ofMillis(50)).until(() -> {
                    // a miss would run the chassis again, which ends the wait (and fails the test)
                    said.set(slow(cluster.url(""), log).header(CACHE));
                    return "hit".equals(said.get()) || runs(log) > 1;
                });
        assertEquals("hit", said.get());
        assertEquals(1, runs(log), "only the direct request ran the chassis");
    }

    @Test
    void an_entry_expires_after_its_methods_cache_time() {
        String body = "{\"text\":\"expiring " + System.nanoTime() + "\"}";
        long start = System.nanoTime();
        assertEquals("miss", Http.post(cluster.url("/pools/rc/echo"), body).header(CACHE));
        // generous bounds: once in six runs, at load 20+, the entry had not gone 8 s after the first hit (not explained:
        // calls stalled by the load, or a redelivered record whose answer was stored again); the claim is that the
        // entry goes, and never before its time (asserted below)
        Awaitility.await("a hit").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
                .until(() -> "hit".equals(Http.post(cluster.url("/pools/rc/echo"), body).header(CACHE)));
        Awaitility.await("the entry expired").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                .untilAsserted(() -> {
                    Response r = Http.post(cluster.url("/pools/rc/echo"), body);
                    assertEquals("miss", r.header(CACHE), r.status() + " " + r.body());
                });
        long ms = (System.nanoTime() - start) / 1_000_000;
        assertTrue(ms >= 3000, "expired after " + ms + " ms, before echo's cache time of 3s");
    }

    @Test
    void a_new_version_never_serves_the_old_versions_answer() throws IOException {
        Path log = dir.resolve("versions.log");
        slow(cluster.url(""), log);
        missesUntilHit(cluster.url(""), log);
        long before = runs(log);
        put("rc", "v2", "{\"slow\":\"30s\"}", 0);
        cluster.awaitAvailable("rc", "v2", 1);
        Response v2 = Http.post(cluster.url("/pools/rc/slow?version=v2"), slowArgs(log));
        assertEquals(200, v2.status(), v2.body().toString());
        assertEquals("v2", v2.header("Katamari-Version"));
        assertEquals("miss", v2.header(CACHE));
        assertEquals(before + 1, runs(log), "v2's chassis ran");
        assertEquals("hit", slow(cluster.url(""), log).header(CACHE), "v1's answer is still v1's");
        cluster.admin("DELETE", "/pools/rc/v2", null);
    }

    @Test
    void katamari_cache_no_bypasses_the_cache_and_a_bad_value_is_a_bad_request() throws IOException {
        Path log = dir.resolve("bypass.log");
        slow(cluster.url(""), log);
        missesUntilHit(cluster.url(""), log);
        long before = runs(log);
        assertEquals("bypass", slow(cluster.url(""), log, CACHE, "no").header(CACHE));
        assertEquals(before + 1, runs(log), "a bypass runs the chassis");
        assertEquals("hit", slow(cluster.url(""), log, CACHE, "yes").header(CACHE));

        Response bad = Http.post(cluster.url("/pools/rc/slow"), slowArgs(log), CACHE, "maybe");
        assertEquals(400, bad.status());
        assertEquals("bad_request", bad.errorCode());
        assertTrue(bad.body().path("error").path("message").asText().contains(CACHE), bad.body().toString());
        Response uncached = Http.post(cluster.url("/pools/rc/pid"), "{}");
        assertEquals(200, uncached.status(), uncached.body().toString());
        assertNull(uncached.header(CACHE), "a method the pool does not cache has no cache header");
    }

    @Test
    void errors_are_not_cached() throws IOException {
        Path log = dir.resolve("errors.log");
        String args = "{\"ms\":\"not a number\",\"log\":\"" + log + "\"}";
        for (int i = 1; i <= 3; i++) {
            Response r = Http.post(cluster.url("/pools/rc/slow"), args);
            assertEquals("handler_error", r.errorCode(), r.body().toString());
            assertEquals("miss", r.header(CACHE));
            assertEquals(i, runs(log), "each failing call ran the chassis");
        }
    }

    @Test
    void stats_and_metrics_count_hits_misses_and_entries_per_pool_version() throws IOException {
        Path log = dir.resolve("stats.log");
        slow(cluster.url(""), log);
        missesUntilHit(cluster.url(""), log);
        JsonNode cache = Http.get(cluster.url("/stats")).body().path("pools").path("rc").path("v1").path("cache");
        assertTrue(cache.path("hits").asLong() >= 1 && cache.path("misses").asLong() >= 1, cache.toString());
        assertTrue(cache.path("entries").asLong() >= 1, cache.toString());
        String metrics = Http.text(Http.get(cluster.url("/metrics")));
        assertTrue(metrics.lines().anyMatch(l -> l.startsWith("katamari_gateway_cache_hits_total{") && l.contains("pool=\"rc\"")), metrics);
        assertTrue(metrics.lines().anyMatch(l -> l.startsWith("katamari_gateway_cache_misses_total{") && l.contains("pool=\"rc\"")), metrics);
        assertTrue(metrics.lines().anyMatch(l -> l.startsWith("katamari_cache_entries{") && l.contains("pool=\"rc\"")
                && !l.endsWith(" 0.0") && !l.endsWith("NaN")), metrics);
    }

    @Test
    void bad_cache_settings_are_refused_naming_the_field() {
        String base = InProcessCluster.poolBody(Katamari.faultyCommand(), 1, 1);
        base = base.substring(0, base.length() - 1);
        Response notDuration = cluster.admin("PUT", "/pools/bad/v1", base + ",\"cache\":{\"slow\":\"soon\"}}");
        assertEquals(400, notDuration.status());
        assertTrue(notDuration.body().toString().contains("cache.slow"), notDuration.body().toString());
        Response zero = cluster.admin("PUT", "/pools/bad/v1", base + ",\"cache\":{\"slow\":\"0s\"}}");
        assertEquals(400, zero.status());
        assertTrue(zero.body().toString().contains("cache.slow"), zero.body().toString());
        Response bound = cluster.admin("PUT", "/pools/bad/v1", base + ",\"cache\":{\"slow\":\"30s\"},\"cacheMaxEntries\":10}");
        assertEquals(400, bound.status());
        assertTrue(bound.body().toString().contains("cacheMaxEntries"), bound.body().toString());
        assertEquals(404, cluster.admin("GET", "/pools/bad", null).status(), "nothing refused was stored");

        // only the chassis knows its methods: the agent refuses an instance whose hello lacks a cached one
        put("undeclared", "v1", "{\"nope\":\"30s\"}", 1);
        Awaitility.await("the instance is refused at its hello").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .until(() -> cluster.worker().status().stream().filter(s -> s.pool().equals("undeclared")).map(InstanceStatus::lastFailure)
                        .anyMatch(f -> f != null && f.contains("'cache'") && f.contains("[nope]")));
        assertTrue(cluster.worker().status().stream().filter(s -> s.pool().equals("undeclared"))
                .noneMatch(s -> s.state() == InstanceStatus.State.IDLE), "never serves");
        cluster.admin("DELETE", "/pools/undeclared", null);
    }
}
