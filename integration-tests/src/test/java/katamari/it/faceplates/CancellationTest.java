package katamari.it.faceplates;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import katamari.config.PoolDefinition;
import katamari.it.support.Http;
import katamari.it.support.Http.Response;
import katamari.it.support.Katamari;
import katamari.it.support.KafkaFixture;
import katamari.topics.TopicNames;
import katamari.worker.cancel.Cancels.Stage;
import katamari.worker.metrics.WorkerMetrics;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cancellation on a real broker and real chassis: a call cancelled before it starts is never written to an instance
 * (the faulty chassis's {@code slow} method logs every call it runs to a file of the caller's choosing, so a file
 * that never appears is a call that never ran), one cancelled while it runs stops its instance where the pool says
 * {@code cancelRunning}, and the gateway cancels for callers who leave and for hedge copies that lost.
 *
 * <p>Pool {@code queue} has one instance, so a long call holds it and what comes next waits: that is the window in
 * which a cancel saves a run.
 */
class CancellationTest {
    @TempDir
    static Path logs;
    private static Katamari katamari;
    private static PoolDefinition queue;
    private static PoolDefinition stoppable;

    @BeforeAll
    static void start() {
        // no hedge cap here: the hedge test's one call must be hedged
        queue = Katamari.pool("queue", Katamari.faultyCommand(), 1).withHedge(null, 100);
        stoppable = Katamari.pool("stoppable", Katamari.faultyCommand(), 1).withCancelRunning(true);
        katamari = Katamari.start(List.of(queue, stoppable), Katamari.testWorker(), Katamari.gateway(Duration.ofSeconds(15)), true);
    }

    @AfterAll
    static void stop() {
        katamari.close();
    }

    @Test
    void a_queued_call_cancelled_by_delete_is_never_run_its_caller_is_answered_cancelled_and_it_is_counted() throws Exception {
        long skippedBefore = cancelled(queue, Stage.WAITING);
        CompletableFuture<Response> blocker = slow("queue", 1500, log("blocker"));
        eventually().until(() -> Files.exists(log("blocker"))); // it runs: the one instance is busy
        String id = "queued-" + UUID.randomUUID();
        CompletableFuture<Response> queued = slow("queue", 10, log(id), "Katamari-Id", id);
        long heardBefore = katamari.worker().cancelsHeard();
        Response[] accepted = new Response[1];
        eventually().until(() -> (accepted[0] = delete(id)).status() == 202); // 404 until the gateway has the call
        long deleted = System.nanoTime();
        assertEquals(id, accepted[0].header("Katamari-Id"));
        assertEquals(id, accepted[0].body().path("id").asText());
        assertTrue(accepted[0].body().path("cancelled").asBoolean(), accepted[0].body().toString());
        eventually().pollInterval(Duration.ofMillis(1)).until(() -> katamari.worker().cancelsHeard() > heardBefore);
        System.out.printf("a cancel reached the agent %.1f ms after DELETE /requests/{id} answered%n", (System.nanoTime() - deleted) / 1e6);

        Response answer = queued.get(10, TimeUnit.SECONDS);
        assertEquals(499, answer.status(), answer.body().toString());
        assertEquals("cancelled", answer.errorCode());
        assertEquals(id, answer.header("Katamari-Id"), "the caller's own id names its call");
        assertEquals(200, blocker.get(10, TimeUnit.SECONDS).status());
        eventually().until(() -> cancelled(queue, Stage.WAITING) == skippedBefore + 1); // skipped once the instance was free
        assertFalse(Files.exists(log(id)), "the cancelled call was never run");

        JsonNode stats = versionStats(queue);
        assertTrue(stats.path("cancels").path("deleted").asLong() >= 1, stats.toString());
        assertTrue(stats.path("errors").path("cancelled").asLong() >= 1, stats.toString());
        Response again = delete(id);
        assertEquals(404, again.status(), "a call that is over cannot be cancelled: " + again.body());
        assertEquals("not_found", again.errorCode());
        assertTrue(Http.text(Http.get(katamari.url("/metrics"))).lines().anyMatch(l -> l.startsWith("katamari_gateway_cancels_total{")
                && l.contains("why=\"deleted\"") && l.contains("version=\"" + queue.version() + "\"")), "Prometheus counts cancels");
        try (WorkerMetrics metrics = new WorkerMetrics(katamari.worker())) {
            assertTrue(metrics.scrape().lines().anyMatch(l -> l.startsWith("katamari_worker_cancelled{") && l.contains("stage=\"waiting\"")
                    && l.contains("version=\"" + queue.version() + "\"") && !l.endsWith(" 0.0")), "the agent's metrics count it");
        }
    }

    @Test
    void a_kafka_client_cancels_its_own_request_with_a_record_keyed_by_its_id() throws Exception {
        long skippedBefore = cancelled(queue, Stage.WAITING);
        CompletableFuture<Response> blocker = slow("queue", 1500, log("blocker-kafka"));
        eventually().until(() -> Files.exists(log("blocker-kafka")));
        String id = "direct-" + UUID.randomUUID();
        Properties p = new Properties();
        p.put("bootstrap.servers", KafkaFixture.bootstrapServers());
        try (KafkaProducer<byte[], byte[]> kafka = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
            // what kcat would send: a fire-and-forget request with an id, then its id as the key of a cancel, no value
            ProducerRecord<byte[], byte[]> request = new ProducerRecord<>(TopicNames.requests(queue.name(), queue.version()), null,
                    ("{\"method\": \"slow\", \"args\": {\"ms\": 10, \"log\": \"" + log(id) + "\"}}").getBytes(StandardCharsets.UTF_8));
            request.headers().add("katamari-id", id.getBytes(StandardCharsets.UTF_8));
            kafka.send(request).get(10, TimeUnit.SECONDS);
            kafka.send(new ProducerRecord<>("katamari.cancels", id.getBytes(StandardCharsets.UTF_8), new byte[0])).get(10, TimeUnit.SECONDS);
        }
        assertEquals(200, blocker.get(10, TimeUnit.SECONDS).status());
        eventually().until(() -> cancelled(queue, Stage.WAITING) == skippedBefore + 1);
        assertFalse(Files.exists(log(id)), "the request cancelled through Kafka never ran");
    }

    @Test
    void a_running_call_of_a_cancel_running_pool_is_stopped_and_its_instance_restarted() throws Exception {
        long stoppedBefore = cancelled(stoppable, Stage.RUNNING);
        String id = "running-" + UUID.randomUUID();
        Path pids = log(id);
        CompletableFuture<Response> running = Http.postAsync(katamari.url("/pools/stoppable/note_pid_and_sleep"),
                "{\"ms\": 10000, \"log\": \"" + pids + "\"}", "Katamari-Id", id);
        eventually().until(() -> Files.exists(pids) && !Files.readString(pids).isBlank());
        long pid = Long.parseLong(Files.readString(pids).trim());

        assertEquals(202, delete(id).status());
        assertEquals("cancelled", running.get(10, TimeUnit.SECONDS).errorCode());
        eventually().until(() -> ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true)); // killed, not let run 10 s
        eventually().until(() -> cancelled(stoppable, Stage.RUNNING) == stoppedBefore + 1);
        Response next = Http.post(katamari.url("/pools/stoppable/pid"), "{}");
        assertEquals(200, next.status(), next.body().toString());
        assertNotEquals(pid, next.body().path("result").asLong(), "a fresh instance answers");
    }

    @Test
    void an_http_client_that_leaves_gets_its_queued_call_skipped() throws Exception {
        long skippedBefore = cancelled(queue, Stage.WAITING);
        // 3 s: /stats may take up to 1.5 s on a loaded box (it reads queue depths), and must see both calls pending
        CompletableFuture<Response> blocker = slow("queue", 3000, log("blocker-leave"));
        eventually().until(() -> Files.exists(log("blocker-leave")));
        String id = "leaves-" + UUID.randomUUID();
        byte[] body = ("{\"ms\": 10, \"log\": \"" + log(id) + "\"}").getBytes(StandardCharsets.UTF_8);
        try (Socket client = new Socket("127.0.0.1", katamari.gateway().port())) {
            OutputStream out = client.getOutputStream();
            out.write(("POST /pools/queue/slow HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nKatamari-Id: " + id
                    + "\r\nContent-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(body);
            out.flush();
            eventually().until(() -> versionStats(queue).path("pending").asInt() == 2); // the gateway has it: the blocker and this
        } // the client leaves
        eventually().until(() -> versionStats(queue).path("cancels").path("disconnected").asLong() >= 1);
        assertEquals(200, blocker.get(10, TimeUnit.SECONDS).status());
        eventually().until(() -> cancelled(queue, Stage.WAITING) == skippedBefore + 1);
        assertFalse(Files.exists(log(id)), "the call of the client that left was never run");
        assertEquals(0, versionStats(queue).path("pending").asInt(), "nothing is left pending at the gateway");
    }

    @Test
    void a_losing_hedge_copy_that_has_not_started_is_cancelled_and_never_runs() throws Exception {
        long skippedBefore = cancelled(queue, Stage.WAITING);
        // the first copy holds the one instance; the filler is queued while it runs, before the copy goes out at 700 ms.
        // The topic has one partition, so the instance takes them in order: when the first copy wins, the filler's
        // 500 ms keep the copy waiting long enough for its cancel to arrive
        Path runs = log("hedged");
        CompletableFuture<Response> hedged = slow("queue", 1500, runs, "Katamari-Hedge-Ms", "700");
        eventually().pollInterval(Duration.ofMillis(5)).until(() -> Files.exists(runs));
        CompletableFuture<Response> filler = slow("queue", 500, log("filler"));

        Response answer = hedged.get(10, TimeUnit.SECONDS);
        assertEquals(200, answer.status(), answer.body().toString());
        assertEquals("sent-first-won", answer.header("Katamari-Hedge"));
        assertEquals(200, filler.get(10, TimeUnit.SECONDS).status());
        eventually().until(() -> cancelled(queue, Stage.WAITING) == skippedBefore + 1); // the copy, skipped
        assertEquals(List.of("run"), Files.readAllLines(runs), "the hedged call ran once: its losing copy never did");
        assertTrue(versionStats(queue).path("cancels").path("hedge_lost").asLong() >= 1);
    }

    @Test
    void a_katamari_id_names_the_call_and_bad_or_duplicate_ones_are_refused() throws Exception {
        for (String bad : List.of("has space", "x.hedge", "a/b", "a".repeat(101), "")) {
            Response r = Http.post(katamari.call("queue", "slow"), "{\"ms\": 1, \"log\": \"" + log("never") + "\"}", "Katamari-Id", bad);
            assertEquals(400, r.status(), bad + ": " + r.body());
            assertEquals("bad_request", r.errorCode(), bad);
            assertTrue(r.body().path("error").path("message").asText().contains("Katamari-Id"), r.body().toString());
            assertNotEquals(bad, r.header("Katamari-Id"), "a refused id is not used");
        }
        assertFalse(Files.exists(log("never")));

        String id = "dup-" + UUID.randomUUID();
        CompletableFuture<Response> first = slow("queue", 3000, log(id), "Katamari-Id", id); // long enough for /stats to see it
        eventually().until(() -> versionStats(queue).path("pending").asInt() == 1);
        Response second = Http.post(katamari.call("queue", "slow"), "{\"ms\": 1, \"log\": \"" + log("dup2") + "\"}", "Katamari-Id", id);
        assertEquals(409, second.status(), second.body().toString());
        assertEquals("duplicate_id", second.errorCode());
        Response rpc = Http.post(katamari.url("/rpc"), "{\"jsonrpc\": \"2.0\", \"method\": \"queue.slow\", \"params\": {\"ms\": 1, \"log\": \""
                + log("dup3") + "\"}, \"id\": 1}", "Katamari-Id", id);
        assertEquals(-32600, rpc.body().path("error").path("code").asInt(), rpc.body().toString());
        assertEquals("duplicate_id", rpc.body().path("error").path("data").path("code").asText(), rpc.body().toString());

        Response answer = first.get(10, TimeUnit.SECONDS);
        assertEquals(200, answer.status());
        assertEquals(id, answer.header("Katamari-Id"));
        assertEquals(id, answer.body().path("id").asText());
        assertFalse(Files.exists(log("dup2")) || Files.exists(log("dup3")), "a refused duplicate is not published");
        assertEquals("not_found", delete("no-such-call").errorCode());
    }

    private static CompletableFuture<Response> slow(String pool, long ms, Path log, String... headers) {
        return Http.postAsync(katamari.call(pool, "slow"), "{\"ms\": " + ms + ", \"log\": \"" + log + "\"}", headers);
    }

    private static Response delete(String id) {
        return Http.send("DELETE", katamari.url("/requests/" + id), null);
    }

    private static Path log(String name) {
        return logs.resolve(name + ".log");
    }

    private static long cancelled(PoolDefinition pool, Stage stage) {
        return katamari.worker().cancelled().getOrDefault(pool.key(), Map.of()).getOrDefault(stage, 0L);
    }

    private static JsonNode versionStats(PoolDefinition pool) {
        return Http.get(katamari.url("/stats")).body().path("pools").path(pool.name()).path(pool.version());
    }

    private static ConditionFactory eventually() {
        return Awaitility.await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(20));
    }
}
