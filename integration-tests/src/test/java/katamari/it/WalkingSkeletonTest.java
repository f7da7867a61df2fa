package katamari.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import katamari.it.support.Http;
import katamari.it.support.Http.Response;
import katamari.it.support.Katamari;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** One request end to end: HTTP → gateway → Kafka → worker → echo chassis process → Kafka → gateway → HTTP. */
class WalkingSkeletonTest {
    private static Katamari katamari;

    @BeforeAll
    static void start() {
        katamari = Katamari.start(4, Duration.ofSeconds(30));
    }

    @AfterAll
    static void stop() {
        katamari.close();
    }

    @Test
    void echo_over_http_returns_the_text_with_its_id_and_version() {
        Response r = Http.post(katamari.url("/pools/echo/echo"), "{\"text\":\"hi ü\"}");
        assertEquals(200, r.status(), r.body().toString());
        assertEquals("hi ü", r.body().get("result").asText());
        // the id the gateway gave the request (a UUID), carried to the worker and back in its reply
        String id = r.body().path("id").asText();
        assertEquals(id, UUID.fromString(id).toString(), "the body's id is a UUID: " + r.body());
        assertEquals(id, r.header("Katamari-Id"));
        assertNotEquals(id, Http.post(katamari.url("/pools/echo/echo"), "{\"text\":\"hi\"}").body().path("id").asText(),
                "each request has its own id");
        assertEquals(katamari.echoPool().version(), r.header("Katamari-Version"));
    }

    @Test
    void two_hundred_concurrent_requests_each_get_their_own_answer() {
        List<CompletableFuture<Response>> calls = IntStream.range(0, 200)
                .mapToObj(i -> Http.postAsync(katamari.url("/pools/echo/echo"), "{\"text\":\"n" + i + "\"}"))
                .toList();
        for (int i = 0; i < calls.size(); i++) {
            Response r = calls.get(i).join();
            assertEquals(200, r.status(), r.body().toString());
            assertEquals("n" + i, r.body().get("result").asText(), "request " + i + " got someone else's reply");
        }
    }

    @Test
    void readiness_and_health_report_ok_once_started() {
        assertEquals(200, Http.get(katamari.url("/readyz")).status());
        assertEquals(200, Http.get(katamari.url("/healthz")).status());
    }

    @Test
    void sleep_past_the_timeout_header_answers_504_and_the_gateway_keeps_serving() {
        Response slow = Http.post(katamari.url("/pools/echo/sleep"), "{\"ms\":3000}", "Katamari-Timeout-Ms", "500");
        assertEquals(504, slow.status(), slow.body().toString());
        assertEquals("timeout", slow.errorCode());
        // the worker still answers "timeout" for this id later; that late reply must not disturb anything
        Response next = Http.post(katamari.url("/pools/echo/echo"), "{\"text\":\"still here\"}");
        assertEquals(200, next.status());
        assertEquals("still here", next.body().get("result").asText());
        assertEquals(200, Http.get(katamari.url("/readyz")).status());
    }

    @Test
    void sleep_within_the_timeout_answers_normally() {
        Response r = Http.post(katamari.url("/pools/echo/sleep"), "{\"ms\":50}", "Katamari-Timeout-Ms", "10000");
        assertEquals(200, r.status(), r.body().toString());
        assertTrue(r.body().get("result").asText().contains("slept 50"));
    }
}
