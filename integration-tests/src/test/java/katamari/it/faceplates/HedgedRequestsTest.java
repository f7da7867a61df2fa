package katamari.it.faceplates;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import katamari.config.PoolDefinition;
import katamari.it.support.Http;
import katamari.it.support.Http.Response;
import katamari.it.support.Katamari;
import katamari.worker.WorkerAgent;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Hedged requests against a real broker and real chassis processes: pool {@code tail}'s instances stall 2 s on one
 * call in twenty (two agents of six). Without hedging that stall is the p99; with {@code Katamari-Hedge-Ms: 50} a second copy goes to
 * another instance and answers, so the p99 drops far below the stall, and the gateway counts and names it.
 */
class HedgedRequestsTest {
    private static final int CALLS = 200;
    private static final String BODY = "{\"every\": 20, \"ms\": 2000}";
    private static Katamari katamari;
    private static PoolDefinition tail;
    private static WorkerAgent second;

    @BeforeAll
    static void start() {
        // a cap of 50 %: this box is shared, and a quick call that happens to take 50 ms is hedged too. Six instances
        // per agent: a hedged call's stalled first copy runs on for its 2 s, so at ~50 sequential calls/s one in
        // twenty stalling holds ~5 instances on average (docs/design.md, "Hedged requests"); with 3 per agent all six
        // were sometimes held, and a copy then waited up to a second for one (seen in a diagnostic run)
        tail = Katamari.pool("tail", Katamari.faultyCommand(), 6).withHedge(null, 50);
        katamari = Katamari.start(List.of(tail), Katamari.testWorker(), Katamari.gateway(Duration.ofSeconds(20)), true);
        // two agents, so that a hedge's copy may also run on another agent than its stalled sibling
        second = new WorkerAgent(katamari.config());
        second.start();
        assertTrue(second.awaitInstances(Duration.ofSeconds(60)), "the second agent's instances started");
    }

    @AfterAll
    static void stop() {
        if (second != null) {
            second.close();
        }
        katamari.close();
    }

    private static Response stall(String body, String... headers) {
        return Http.post(katamari.url("/pools/tail/stall_one_in"), body, headers);
    }

    /** One call at a time, so that a stalled instance leaves the others idle for the hedge copy. */
    private static Map<String, Object> run(String body, String... headers) {
        List<Long> millis = new ArrayList<>();
        Map<String, Integer> hedging = new HashMap<>();
        List<String> slow = new ArrayList<>();
        List<Long> hedgedMillis = new ArrayList<>();
        for (int i = 0; i < CALLS; i++) {
            long start = System.nanoTime();
            Response r = stall(body, headers);
            long ms = (System.nanoTime() - start) / 1_000_000;
            millis.add(ms);
            if (ms > 500) {
                slow.add(ms + " ms " + r.header("Katamari-Hedge") + " " + r.body().path("result").asText());
                if (headers.length > 0) {
                    // not a timing assertion: a stalled call had a hedge sent 50 ms in (its copy may have stalled too)
                    assertTrue(r.header("Katamari-Hedge").startsWith("sent-"), "a slow call was hedged: " + slow);
                }
            }
            assertEquals(200, r.status(), r.body().toString());
            hedging.merge(r.header("Katamari-Hedge"), 1, Integer::sum);
            if (!"none".equals(r.header("Katamari-Hedge"))) {
                hedgedMillis.add(ms);
            }
        }
        Collections.sort(millis);
        return Map.of("p50", millis.get(CALLS / 2), "p99", millis.get(CALLS * 99 / 100 - 1), "hedging", hedging, "slow", slow,
                "hedged calls (ms)", hedgedMillis);
    }

    @Test
    void a_stalled_call_gets_a_hedge_after_50_ms_whose_answer_can_win_and_the_response_stats_and_metrics_say_so() {
        Map<String, Object> plain = run(BODY); // first: it warms the path up for the two that follow
        Map<String, Object> normal = run("{\"every\": 1000000, \"ms\": 2000}");
        Map<String, Object> hedged = run(BODY, "Katamari-Hedge-Ms", "50");
        System.out.println("hedging: no stalls " + normal + ", one in 20 stalls without hedging " + plain + ", with Katamari-Hedge-Ms: 50 " + hedged);
        assertTrue((Long) plain.get("p99") >= 1900, "without hedging a stall is the p99: " + plain);
        assertEquals(Map.of("none", CALLS), plain.get("hedging"), "no hedge without the header or hedgeAfter");
        @SuppressWarnings("unchecked") Map<String, Integer> how = (Map<String, Integer>) hedged.get("hedging");
        assertTrue(how.getOrDefault("sent-hedge-won", 0) >= 1, "a hedge copy answered a stalled call: " + how);

        JsonNode hedges = Http.get(katamari.url("/stats")).body().path("pools").path("tail").path(tail.version()).path("hedges");
        int sent = how.getOrDefault("sent-hedge-won", 0) + how.getOrDefault("sent-first-won", 0);
        assertEquals(sent, hedges.path("sent").asInt(), hedges.toString());
        assertEquals((int) how.get("sent-hedge-won"), hedges.path("won").asInt(), hedges.toString());
        String metrics = Http.text(Http.get(katamari.url("/metrics")));
        assertTrue(metrics.lines().anyMatch(l -> l.startsWith("katamari_gateway_hedges_won_total{") && l.contains("version=\"" + tail.version() + "\"")
                && !l.endsWith(" 0.0")), "Prometheus counts hedges won");
        // Not asserted, because a test is no benchmark: issue 19's "p99 under 50 ms plus the normal p99", printed
        // above (docs/design.md, "Hedged requests", has the figures). A hedge's copy stalls too one time in twenty.
    }

    @Test
    void a_hedge_delay_that_is_not_a_positive_whole_number_is_bad_request() {
        for (String bad : List.of("0", "-5", "abc", "1.5", "")) {
            Response r = stall(BODY, "Katamari-Hedge-Ms", bad);
            assertEquals(400, r.status(), bad + ": " + r.body());
            assertEquals("bad_request", r.errorCode(), bad);
            assertTrue(r.body().path("error").path("message").asText().contains("Katamari-Hedge-Ms"), r.body().toString());
        }
        Response rpc = Http.post(katamari.url("/rpc"),
                "{\"jsonrpc\": \"2.0\", \"method\": \"tail.stall_one_in\", \"params\": " + BODY + ", \"katamariHedgeMs\": 0, \"id\": 7}");
        assertEquals("bad_request", rpc.body().path("error").path("data").path("code").asText(), rpc.body().toString());
        assertTrue(rpc.body().path("error").path("data").path("message").asText().contains("katamariHedgeMs"), rpc.body().toString());
    }

    @Test
    void json_rpc_takes_the_hedge_delay_as_a_member_and_names_the_outcome() {
        Response r = Http.post(katamari.url("/rpc"),
                "{\"jsonrpc\": \"2.0\", \"method\": \"tail.stall_one_in\", \"params\": {\"every\": 1000000, \"ms\": 0}, \"katamariHedgeMs\": 5000, \"id\": 8}");
        assertEquals(200, r.status(), r.body().toString());
        assertEquals("quick", r.body().path("result").asText(), r.body().toString());
        assertEquals("none", r.header("Katamari-Hedge"), "answered before the delay: no hedge");
    }
}
