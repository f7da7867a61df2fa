package katamari.it.chassis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import katamari.config.WorkerSettings;
import katamari.it.support.Http;
import katamari.it.support.Http.Response;
import katamari.it.support.Katamari;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A chassis calls another pool through its own agent, under the outer request's deadline. */
class NestedCallsTest {
    private static Katamari katamari;

    @BeforeAll
    static void start() {
        WorkerSettings w = Katamari.testWorker();
        WorkerSettings withPython = w.withAllowedCommands(List.of("java", "python3"));
        katamari = Katamari.start(List.of(
                        Katamari.pool("echo", Katamari.echoCommand(), 1),
                        Katamari.pool("wordcount", List.of("python3", Katamari.HOME.resolve("examples/wordcount/wordcount.py").toString()), 1),
                        Katamari.pool("faulty", Katamari.faultyCommand(), 1)),
                withPython, Duration.ofSeconds(20), true);
    }

    @AfterAll
    static void stop() {
        katamari.close();
    }

    @Test
    void a_python_method_that_calls_the_echo_pool_returns_the_combined_result() {
        Response r = Http.post(katamari.call("wordcount", "echo_and_count"), "{\"text\":\"one two three\"}");
        assertEquals(200, r.status(), r.body().toString());
        assertEquals("one two three", r.body().path("result").path("echoed").asText());
        assertEquals(3, r.body().path("result").path("words").asInt());
    }

    @Test
    void a_java_method_relays_a_call_and_gets_the_other_pools_error_code() {
        Response ok = Http.post(katamari.call("faulty", "relay"), "{\"pool\":\"echo\",\"method\":\"echo\",\"args\":{\"text\":\"via faulty\"}}");
        assertEquals("via faulty", ok.body().path("result").asText(), ok.body().toString());
        Response missing = Http.post(katamari.call("faulty", "relay"), "{\"pool\":\"nosuch\",\"method\":\"x\",\"args\":{}}");
        assertTrue(missing.body().path("result").asText().contains("pool_not_found"), missing.body().toString());
    }

    @Test
    void a_nested_call_that_outlives_the_outer_deadline_ends_in_timeout_not_a_hang() {
        long t0 = System.nanoTime();
        Response r = Http.post(katamari.call("faulty", "relay"), "{\"pool\":\"echo\",\"method\":\"sleep\",\"args\":{\"ms\":10000}}",
                "Katamari-Timeout-Ms", "1500");
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(504, r.status(), r.body().toString());
        assertEquals("timeout", r.errorCode());
        assertTrue(ms < 5000, "answered after " + ms + " ms");
        Response after = Http.post(katamari.call("faulty", "relay"), "{\"pool\":\"echo\",\"method\":\"echo\",\"args\":{\"text\":\"later\"}}");
        assertEquals(200, after.status(), after.body().toString());
    }
}
