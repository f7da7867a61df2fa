package katamari.it.faceplates;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import katamari.config.PoolDefinition;
import katamari.it.support.Http;
import katamari.it.support.Http.Response;
import katamari.it.support.Katamari;
import katamari.topics.WireCodec;
import katamari.worker.cancel.Cancels.Stage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Majority requests against a real broker and real chassis processes: pool {@code vote} has three instances, and
 * the faulty chassis's {@code vote} makes the instance numbered {@code liar} answer wrongly, one answer in three
 * (the right ones write their keys in different orders). {@code Katamari-Quorum: 3} runs a copy on each instance and
 * answers with the two that agree; {@code pid}, which every instance answers differently, has no majority.
 */
class MajorityRequestsTest {
    private static Katamari katamari;
    private static PoolDefinition vote;

    @BeforeAll
    static void start() {
        vote = Katamari.pool("vote", Katamari.faultyCommand(), 3);
        katamari = Katamari.start(List.of(vote), Katamari.testWorker(), Katamari.gateway(Duration.ofSeconds(20)), true);
    }

    @AfterAll
    static void stop() {
        katamari.close();
    }

    private static Response post(String method, String body, String... headers) {
        return Http.post(katamari.url("/pools/vote/" + method), body, headers);
    }

    private static JsonNode quorumStats() {
        return Http.get(katamari.url("/stats")).body().path("pools").path("vote").path(vote.version()).path("quorum");
    }

    @Test
    void a_quorum_of_three_outvotes_the_instance_that_answers_wrongly_whichever_it_is() {
        JsonNode before = quorumStats();
        JsonNode right = WireCodec.parse("{\"value\": \"blue\", \"ok\": true}");
        for (int call = 0; call < 9; call++) {
            int liar = call % 3;
            Response r = post("vote", "{\"value\": \"blue\", \"liar\": " + liar + "}", "Katamari-Quorum", "3");
            assertEquals(200, r.status(), r.body().toString());
            assertEquals(right, r.body().path("result"), "liar " + liar + ": the two right answers agree, key order aside");
            assertEquals("2/3", r.header("Katamari-Quorum"), "two of three agreed");
            assertEquals("none", r.header("Katamari-Hedge"), "a majority request is never hedged");
        }
        // an error the pool answers with is an answer too: every copy refuses the missing argument alike
        Response refused = post("vote", "{\"value\": \"blue\"}", "Katamari-Quorum", "3");
        assertEquals(400, refused.status(), refused.body().toString());
        assertEquals("bad_request", refused.errorCode());
        assertEquals("2/3", refused.header("Katamari-Quorum"));

        Response single = post("vote", "{\"value\": \"blue\", \"liar\": -1}", "Katamari-Quorum", "1");
        assertEquals(right, single.body().path("result"), single.body().toString());
        assertEquals("1/1", single.header("Katamari-Quorum"), "a quorum of one is a plain call");

        JsonNode after = quorumStats();
        assertEquals(10, after.path("calls").asLong() - before.path("calls").asLong(), after.toString());
        assertEquals(10, after.path("agreed").asLong() - before.path("agreed").asLong(), after.toString());
        String metrics = Http.text(Http.get(katamari.url("/metrics")));
        assertTrue(metrics.lines().anyMatch(l -> l.startsWith("katamari_gateway_quorum_agreed_total{") && l.contains("version=\"" + vote.version() + "\"")
                && !l.endsWith(" 0.0")), "Prometheus counts agreed majority requests");
    }

    @Test
    void copies_run_on_distinct_instances_so_three_different_answers_are_no_quorum_listing_each() {
        JsonNode before = quorumStats();
        Response r = post("pid", "{}", "Katamari-Quorum", "3");
        assertEquals(502, r.status(), r.body().toString());
        assertEquals("no_quorum", r.errorCode());
        assertEquals("1/3", r.header("Katamari-Quorum"));
        JsonNode answers = r.body().path("error").path("answers");
        assertEquals(3, answers.size(), "one answer per instance: " + answers);
        Set<Long> pids = new HashSet<>();
        answers.forEach(a -> {
            assertEquals(1, a.path("count").asInt(), answers.toString());
            pids.add(a.path("result").asLong());
        });
        assertEquals(3, pids.size(), "three distinct processes answered: " + answers);
        assertEquals(1, quorumStats().path("noQuorum").asLong() - before.path("noQuorum").asLong());

        Response rpc = Http.post(katamari.url("/rpc"), "{\"jsonrpc\": \"2.0\", \"method\": \"vote.pid\", \"params\": {}, \"katamariQuorum\": 3, \"id\": 1}");
        JsonNode error = rpc.body().path("error");
        assertEquals(-32603, error.path("code").asInt(), rpc.body().toString());
        assertEquals("no_quorum", error.path("data").path("code").asText());
        assertEquals(3, error.path("data").path("answers").size(), rpc.body().toString());
        assertEquals("1/3", rpc.header("Katamari-Quorum"));
    }

    @Test
    void a_quorum_that_is_even_zero_not_a_number_or_above_the_ceiling_or_the_instances_is_bad_request() {
        // 7: over gateway.maxQuorum (5); 5: within it, but the pool-version runs 3 instances
        for (String bad : List.of("2", "0", "-3", "abc", "1.5", "", "7", "5")) {
            Response r = post("vote", "{\"value\": \"blue\", \"liar\": 0}", "Katamari-Quorum", bad);
            assertEquals(400, r.status(), bad + ": " + r.body());
            assertEquals("bad_request", r.errorCode(), bad);
            assertTrue(r.body().path("error").path("message").asText().contains("Katamari-Quorum"), r.body().toString());
        }
        for (String bad : List.of("4", "5", "\"3\"")) {
            Response rpc = Http.post(katamari.url("/rpc"), "{\"jsonrpc\": \"2.0\", \"method\": \"vote.vote\", \"params\": {\"value\": \"blue\", \"liar\": 0},"
                    + " \"katamariQuorum\": " + bad + ", \"id\": 2}");
            JsonNode error = rpc.body().path("error");
            assertEquals(-32602, error.path("code").asInt(), bad + ": " + rpc.body());
            assertEquals("bad_request", error.path("data").path("code").asText(), rpc.body().toString());
            assertTrue(error.path("data").path("message").asText().contains("katamariQuorum"), rpc.body().toString());
        }
    }

    @Test
    void a_majority_request_cancelled_by_delete_is_answered_cancelled_and_its_waiting_copies_never_run() throws Exception {
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("katamari-quorum-cancel");
        long skippedBefore = skipped();
        // three long calls hold the three instances, so the copies wait; 8 s, because under the suite's load the third
        // blocker once started more than 4 s after the first, which had already ended (the fresh-clone suite)
        List<java.util.concurrent.CompletableFuture<Response>> blockers = java.util.stream.IntStream.range(0, 3)
                .mapToObj(i -> Http.postAsync(katamari.url("/pools/vote/slow"), "{\"ms\": 8000, \"log\": \"" + dir.resolve("b" + i) + "\"}"))
                .toList();
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(15)).until(() -> java.util.stream.IntStream.range(0, 3)
                .allMatch(i -> java.nio.file.Files.exists(dir.resolve("b" + i))));
        assertTrue(blockers.stream().noneMatch(java.util.concurrent.CompletableFuture::isDone), "all three instances are busy");
        String id = "quorum-" + java.util.UUID.randomUUID();
        java.nio.file.Path runs = dir.resolve("copies");
        java.util.concurrent.CompletableFuture<Response> call = Http.postAsync(katamari.url("/pools/vote/slow"),
                "{\"ms\": 10, \"log\": \"" + runs + "\"}", "Katamari-Quorum", "3", "Katamari-Id", id);
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
                .until(() -> Http.send("DELETE", katamari.url("/requests/" + id), null).status() == 202); // 404 until it is pending
        assertEquals("cancelled", call.get(10, java.util.concurrent.TimeUnit.SECONDS).errorCode());
        blockers.forEach(b -> assertEquals(200, b.join().status()));
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(15)).until(() -> skipped() == skippedBefore + 3);
        assertTrue(!java.nio.file.Files.exists(runs), "no copy ran");
    }

    private static long skipped() {
        return katamari.worker().cancelled().getOrDefault(vote.key(), java.util.Map.of())
                .getOrDefault(Stage.WAITING, 0L);
    }
}
