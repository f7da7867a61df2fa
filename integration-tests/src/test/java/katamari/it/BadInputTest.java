package katamari.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import katamari.topics.WireCodec;
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
    void a_chunked_body_is_read_under_the_same_limit_as_one_with_a_length() throws IOException {
        // no Content-Length to refuse it by: the limit must hold while the body is read
        String big = "{\"text\":\"" + "x".repeat(1024 * 1024 + 10) + "\"}";
        Raw over = raw("POST /pools/echo/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                + Integer.toHexString(big.length()) + "\r\n" + big + "\r\n0\r\n\r\n");
        over.assertEnvelope(413, "payload_too_large", "gateway.maxBodyBytes");
        String small = "{\"text\":\"in two chunks\"}";
        Raw within = raw("POST /pools/echo/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                + Integer.toHexString(10) + "\r\n" + small.substring(0, 10) + "\r\n"
                + Integer.toHexString(small.length() - 10) + "\r\n" + small.substring(10) + "\r\n0\r\n\r\n");
        assertEquals(200, within.status(), within.body());
        assertEquals("in two chunks", WireCodec.parse(within.body()).path("result").asText(), within.body());
    }

    @Test
    void a_handler_error_is_500_and_the_instance_keeps_serving() {
        assertError(Http.post(katamari.url("/pools/echo/sleep"), "{\"ms\":\"soon\"}"), 500, "handler_error", "whole number");
        Response ok = Http.post(katamari.url("/pools/echo/echo"), "{\"text\":\"fine\"}");
        assertEquals(200, ok.status());
    }

    // -- refused by the HTTP server below Javalin, sent over a raw socket as no HTTP client would send them --------

    @Test
    void a_60_kb_header_is_431_headers_too_large_in_the_envelope() throws IOException {
        Raw r = raw("POST /pools/echo/echo HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(60 * 1024)
                + "\r\nContent-Length: 2\r\n\r\n{}");
        r.assertEnvelope(431, "headers_too_large", "8192 bytes");
    }

    @Test
    void a_20_kb_uri_is_414_uri_too_long_in_the_envelope() throws IOException {
        Raw r = raw("GET /pools/echo/" + "x".repeat(20 * 1024) + " HTTP/1.1\r\nHost: x\r\n\r\n");
        r.assertEnvelope(414, "uri_too_long", "URI");
    }

    @Test
    void a_garbage_request_line_is_400_bad_request_in_the_envelope() throws IOException {
        Raw r = raw("\u0001\u0002 garbage \u00ff\r\n\r\n");
        r.assertEnvelope(400, "bad_request", "not a valid HTTP/1.1 request");
    }

    @Test
    void a_header_too_large_on_rpc_is_a_json_rpc_error_with_id_null() throws IOException {
        Raw r = raw("POST /rpc HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(60 * 1024) + "\r\nContent-Length: 2\r\n\r\n{}");
        assertEquals(431, r.status(), r.body());
        JsonNode body = WireCodec.parse(r.body());
        assertEquals(-32600, body.path("error").path("code").asInt(), r.body());
        assertEquals("headers_too_large", body.path("error").path("data").path("code").asText(), r.body());
        assertTrue(body.path("id").isNull(), r.body());
        assertEquals(r.headers().get("katamari-id"), body.path("error").path("data").path("id").asText());
    }

    private record Raw(int status, Map<String, String> headers, String body) {
        void assertEnvelope(int expectedStatus, String code, String inMessage) {
            assertEquals(expectedStatus, status, body);
            assertTrue(headers.getOrDefault("content-type", "").startsWith("application/json"), headers.toString());
            JsonNode json = WireCodec.parse(body);
            assertEquals(code, json.path("error").path("code").asText(), body);
            assertTrue(json.path("error").path("message").asText().contains(inMessage), body);
            String id = headers.get("katamari-id");
            assertTrue(id != null && !id.isEmpty(), "a Katamari-Id header: " + headers);
            assertEquals(id, json.path("id").asText(), "the body's id is the header's");
        }
    }

    /** Sends {@code request} as bytes (ISO-8859-1) and reads the one response the server writes before it closes. */
    private static Raw raw(String request) throws IOException {
        URI gateway = URI.create(katamari.url("/"));
        try (Socket socket = new Socket(gateway.getHost(), gateway.getPort())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            try {
                out.write(request.getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
            } catch (IOException refusedMidWrite) {
                // the server may answer and stop reading before the whole request is written: read its answer anyway
            }
            InputStream in = socket.getInputStream();
            String head = readHead(in);
            String[] lines = head.split("\r\n");
            int status = Integer.parseInt(lines[0].split(" ")[1]);
            Map<String, String> headers = new TreeMap<>();
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
            }
            byte[] body = in.readNBytes(Integer.parseInt(headers.getOrDefault("content-length", "0")));
            return new Raw(status, headers, new String(body, StandardCharsets.UTF_8));
        }
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) != -1) {
            head.write(b);
            String sofar = head.toString(StandardCharsets.ISO_8859_1);
            if (sofar.endsWith("\r\n\r\n")) {
                return sofar.substring(0, sofar.length() - 4);
            }
        }
        throw new IOException("the connection closed before a whole response head: " + head.toString(StandardCharsets.ISO_8859_1));
    }
}
