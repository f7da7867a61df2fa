package katamari.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import katamari.it.support.Http;
import katamari.it.support.Http.Response;
import katamari.it.support.Katamari;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Every bad input gets its documented code and a message that says what was wrong; nothing else is disturbed. */
class BadInputTest {
    private static Katamari katamari;

    @BeforeAll
    static void start() {
        katamari = Katamari.start(1, Duration.ofSeconds(30));
    }

    @AfterAll
    static void stop() {
        katamari.close();
    }

    private static void assertError(Response r, int status, String code, String inMessage) {
        assertEquals(status, r.status(), r.body().toString());
        assertEquals(code, r.errorCode(), r.body().toString());
        String message = r.body().path("error").path("message").asText();
        assertTrue(message.contains(inMessage), "message '" + message + "' should mention '" + inMessage + "'");
        assertTrue(r.body().path("id").isTextual(), "every answer carries an id");
    }

    @Test
    void malformed_json_is_400_bad_request() {
        assertError(Http.post(katamari.url("/pools/echo/echo"), "{\"text\": "), 400, "bad_request", "not valid JSON");
    }

    @Test
    void a_body_that_is_not_an_object_is_400_bad_request() {
        assertError(Http.post(katamari.url("/pools/echo/echo"), "[\"hi\"]"), 400, "bad_request", "JSON object");
        assertError(Http.post(katamari.url("/pools/echo/echo"), "\"hi\""), 400, "bad_request", "JSON object");
    }

    @Test
    void an_unknown_pool_is_404_pool_not_found() {
        assertError(Http.post(katamari.url("/pools/nosuch/echo"), "{}"), 404, "pool_not_found", "nosuch");
    }

    @Test
    void a_pinned_version_that_does_not_exist_is_404_pool_not_found() {
        assertError(Http.post(katamari.url("/pools/echo/echo?version=v999"), "{\"text\":\"x\"}"), 404, "pool_not_found", "v999");
    }

    @Test
    void a_method_the_chassis_did_not_declare_is_404_method_not_found() {
        assertError(Http.post(katamari.url("/pools/echo/shout"), "{\"text\":\"x\"}"), 404, "method_not_found", "shout");
    }

    @Test
    void arg_names_that_do_not_match_the_declared_ones_are_400_bad_request() {
        assertError(Http.post(katamari.url("/pools/echo/echo"), "{\"txt\":\"x\"}"), 400, "bad_request", "[text]");
        assertError(Http.post(katamari.url("/pools/echo/echo"), "{\"text\":\"x\",\"extra\":1}"), 400, "bad_request", "[text]");
        assertError(Http.post(katamari.url("/pools/echo/echo"), "{}"), 400, "bad_request", "[text]");
    }

    @Test
    void a_bad_timeout_header_is_400_bad_request() {
        assertError(Http.post(katamari.url("/pools/echo/echo"), "{\"text\":\"x\"}", "Katamari-Timeout-Ms", "soon"),
                400, "bad_request", "Katamari-Timeout-Ms");
    }

    @Test
    void a_body_over_the_limit_is_413_payload_too_large() {
        String big = "{\"text\":\"" + "x".repeat(1024 * 1024 + 10) + "\"}";
        assertError(Http.post(katamari.url("/pools/echo/echo"), big), 413, "payload_too_large", "");
    }

    @Test
    void a_handler_error_is_500_and_the_instance_keeps_serving() {
        assertError(Http.post(katamari.url("/pools/echo/sleep"), "{\"ms\":\"soon\"}"), 500, "handler_error", "whole number");
        Response ok = Http.post(katamari.url("/pools/echo/echo"), "{\"text\":\"fine\"}");
        assertEquals(200, ok.status());
    }
}
