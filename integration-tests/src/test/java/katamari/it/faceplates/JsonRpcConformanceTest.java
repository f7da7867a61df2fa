package katamari.it.faceplates;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.List;
import katamari.config.WorkerSettings;
import katamari.it.support.Http;
import katamari.it.support.Http.Response;
import katamari.it.support.Katamari;
import katamari.topics.WireCodec;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every example of the JSON-RPC 2.0 specification (section 7, https://www.jsonrpc.org/specification), run against
 * pool {@code spec} ({@code examples/jsonrpc/spec.py}), a real Python chassis. The adaptations: methods are
 * {@code "spec.<method>"}, and params are named (Katamari methods take named arguments), so {@code [42, 23]} becomes
 * {@code {"minuend": 42, "subtrahend": 23}}; positional params themselves are answered -32602.
 */
class JsonRpcConformanceTest {
    private static Katamari katamari;

    @BeforeAll
    static void start() {
        WorkerSettings w = Katamari.testWorker();
        WorkerSettings withPython = w.withAllowedCommands(List.of("java", "python3"));
        katamari = Katamari.start(List.of(Katamari.pool("spec", Katamari.python("jsonrpc/spec.py"), 1),
                Katamari.pool("echo", Katamari.echoCommand(), 1)), withPython, Katamari.gateway(Duration.ofSeconds(20)), true);
    }

    @AfterAll
    static void stop() {
        katamari.close();
    }

    private static Response rpc(String body, String... headers) {
        return Http.post(katamari.url("/rpc"), body, headers);
    }

    private static JsonNode json(String text) {
        return WireCodec.parse(text);
    }

    /** The response without Katamari's {@code error.data} (its ids differ each run), to compare with the spec's. */
    private static JsonNode spec(JsonNode response) {
        JsonNode copy = response.deepCopy();
        if (copy.isArray()) {
            copy.forEach(r -> {
                if (r.has("error")) {
                    ((com.fasterxml.jackson.databind.node.ObjectNode) r.get("error")).remove("data");
                }
            });
        } else if (copy.has("error")) {
            ((com.fasterxml.jackson.databind.node.ObjectNode) copy.get("error")).remove("data");
        }
        return copy;
    }

    private static void assertNothing(Response r) {
        assertEquals(204, r.status(), r.raw().body());
        assertEquals("", r.raw().body(), "a notification gets no response at all");
        assertTrue(r.header("Katamari-Id") != null, "even an empty answer carries the request id");
    }

    @Test
    void rpc_call_with_positional_parameters_adapted_to_named() {
        Response r = rpc("{\"jsonrpc\": \"2.0\", \"method\": \"spec.subtract\", \"params\": {\"minuend\": 42, \"subtrahend\": 23}, \"id\": 1}");
        assertEquals(200, r.status());
        assertEquals(json("{\"jsonrpc\": \"2.0\", \"result\": 19, \"id\": 1}"), r.body());
        r = rpc("{\"jsonrpc\": \"2.0\", \"method\": \"spec.subtract\", \"params\": {\"minuend\": 23, \"subtrahend\": 42}, \"id\": 2}");
        assertEquals(json("{\"jsonrpc\": \"2.0\", \"result\": -19, \"id\": 2}"), r.body());
    }

    @Test
    void positional_parameters_themselves_are_invalid_params() {
        Response r = rpc("{\"jsonrpc\": \"2.0\", \"method\": \"spec.subtract\", \"params\": [42, 23], \"id\": 1}");
        assertEquals(json("{\"jsonrpc\": \"2.0\", \"error\": {\"code\": -32602, \"message\": \"Invalid params\"}, \"id\": 1}"), spec(r.body()));
        assertEquals("bad_request", r.body().path("error").path("data").path("code").asText());
    }

    @Test
    void rpc_call_with_named_parameters_in_either_order() {
        Response r = rpc("{\"jsonrpc\": \"2.0\", \"method\": \"spec.subtract\", \"params\": {\"subtrahend\": 23, \"minuend\": 42}, \"id\": 3}");
        assertEquals(json("{\"jsonrpc\": \"2.0\", \"result\": 19, \"id\": 3}"), r.body());
        r = rpc("{\"jsonrpc\": \"2.0\", \"method\": \"spec.subtract\", \"params\": {\"minuend\": 42, \"subtrahend\": 23}, \"id\": 4}");
        assertEquals(json("{\"jsonrpc\": \"2.0\", \"result\": 19, \"id\": 4}"), r.body());
        assertEquals(katamari.pool("spec").version(), r.header("Katamari-Version"), "a single call says which version answered");
    }

    @Test
    void a_notification_gets_no_response_but_runs() {
        assertNothing(rpc("{\"jsonrpc\": \"2.0\", \"method\": \"spec.update\", \"params\": {\"values\": [1, 2, 3, 4, 5]}}"));
        Awaitility.await("the notification ran").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                .until(() -> rpc("{\"jsonrpc\": \"2.0\", \"method\": \"spec.last_update\", \"id\": 1}").body().path("result"),
                        v -> v.equals(json("[1, 2, 3, 4, 5]")));
        assertNothing(rpc("{\"jsonrpc\": \"2.0\", \"method\": \"spec.foobar\"}"));
        assertNothing(rpc("{\"jsonrpc\": \"2.0\", \"method\": \"foobar\"}"));
    }

    @Test
    void rpc_call_of_a_non_existent_method() {
        Response r = rpc("{\"jsonrpc\": \"2.0\", \"method\": \"spec.foobar\", \"id\": \"1\"}");
        assertEquals(200, r.status());
        assertEquals(json("{\"jsonrpc\": \"2.0\", \"error\": {\"code\": -32601, \"message\": \"Method not found\"}, \"id\": \"1\"}"), spec(r.body()));
        JsonNode data = r.body().path("error").path("data");
        assertEquals("method_not_found", data.path("code").asText());
        assertEquals(katamari.pool("spec").version(), data.path("version").asText());
        assertEquals(r.header("Katamari-Id"), data.path("id").asText());
        // no pool at all, and a method that is not <pool>.<method>
        assertEquals("pool_not_found", rpc("{\"jsonrpc\": \"2.0\", \"method\": \"nosuch.x\", \"id\": 1}").body().path("error").path("data").path("code").asText());
        assertEquals(-32601, rpc("{\"jsonrpc\": \"2.0\", \"method\": \"foobar\", \"id\": 1}").body().path("error").path("code").asInt());
        assertEquals(-32601, rpc("{\"jsonrpc\": \"2.0\", \"method\": \"rpc.discover\", \"id\": 1}").body().path("error").path("code").asInt());
    }

    @Test
    void rpc_call_with_invalid_json() {
        Response r = rpc("{\"jsonrpc\": \"2.0\", \"method\": \"foobar, \"params\": \"bar\", \"baz]");
        assertEquals(json("{\"jsonrpc\": \"2.0\", \"error\": {\"code\": -32700, \"message\": \"Parse error\"}, \"id\": null}"), spec(r.body()));
        assertEquals("bad_request", r.body().path("error").path("data").path("code").asText());
    }

    @Test
    void rpc_call_with_an_invalid_request_object() {
        Response r = rpc("{\"jsonrpc\": \"2.0\", \"method\": 1, \"params\": \"bar\"}");
        assertEquals(json("{\"jsonrpc\": \"2.0\", \"error\": {\"code\": -32600, \"message\": \"Invalid Request\"}, \"id\": null}"), spec(r.body()));
        assertEquals(-32600, rpc("{\"jsonrpc\": \"1.0\", \"method\": \"spec.get_data\", \"id\": 7}").body().path("error").path("code").asInt());
        assertEquals(-32600, rpc("{\"jsonrpc\": \"2.0\", \"method\": \"spec.get_data\", \"id\": {\"no\": 1}}").body().path("error").path("code").asInt());
    }

    @Test
    void rpc_call_batch_with_invalid_json() {
        Response r = rpc("[\n  {\"jsonrpc\": \"2.0\", \"method\": \"sum\", \"params\": [1,2,4], \"id\": \"1\"},\n  {\"jsonrpc\": \"2.0\", \"method\"\n]");
        assertEquals(json("{\"jsonrpc\": \"2.0\", \"error\": {\"code\": -32700, \"message\": \"Parse error\"}, \"id\": null}"), spec(r.body()));
    }

    @Test
    void rpc_call_with_an_empty_array() {
        Response r = rpc("[]");
        assertEquals(json("{\"jsonrpc\": \"2.0\", \"error\": {\"code\": -32600, \"message\": \"Invalid Request\"}, \"id\": null}"), spec(r.body()));
    }

    @Test
    void rpc_call_with_an_invalid_batch_but_not_empty() {
        Response r = rpc("[1]");
        assertEquals(json("[{\"jsonrpc\": \"2.0\", \"error\": {\"code\": -32600, \"message\": \"Invalid Request\"}, \"id\": null}]"), spec(r.body()));
    }

    @Test
    void rpc_call_with_an_invalid_batch() {
        Response r = rpc("[1,2,3]");
        String invalid = "{\"jsonrpc\": \"2.0\", \"error\": {\"code\": -32600, \"message\": \"Invalid Request\"}, \"id\": null}";
        assertEquals(json("[" + invalid + "," + invalid + "," + invalid + "]"), spec(r.body()));
    }

    @Test
    void rpc_call_batch() {
        Response r = rpc("""
                [
                    {"jsonrpc": "2.0", "method": "spec.sum", "params": {"values": [1,2,4]}, "id": "1"},
                    {"jsonrpc": "2.0", "method": "spec.notify_hello", "params": {"value": 7}},
                    {"jsonrpc": "2.0", "method": "spec.subtract", "params": {"minuend": 42, "subtrahend": 23}, "id": "2"},
                    {"foo": "boo"},
                    {"jsonrpc": "2.0", "method": "foo.get", "params": {"name": "myself"}, "id": "5"},
                    {"jsonrpc": "2.0", "method": "spec.get_data", "id": "9"}
                ]""");
        assertEquals(200, r.status());
        assertEquals(json("""
                [
                    {"jsonrpc": "2.0", "result": 7, "id": "1"},
                    {"jsonrpc": "2.0", "result": 19, "id": "2"},
                    {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null},
                    {"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}, "id": "5"},
                    {"jsonrpc": "2.0", "result": ["hello", 5], "id": "9"}
                ]"""), spec(r.body()));
        String requestId = r.header("Katamari-Id");
        assertEquals(requestId + "-5", r.body().path(3).path("error").path("data").path("id").asText(), "each call has its own id");
        assertNull(r.header("Katamari-Version"), "a batch may span versions: no single version header");
    }

    @Test
    void rpc_call_batch_all_notifications() {
        assertNothing(rpc("""
                [
                    {"jsonrpc": "2.0", "method": "spec.notify_sum", "params": {"values": [1,2,4]}},
                    {"jsonrpc": "2.0", "method": "spec.notify_hello", "params": {"value": 7}}
                ]"""));
        Awaitility.await("the notifications ran").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                .until(() -> rpc("{\"jsonrpc\": \"2.0\", \"method\": \"spec.last_update\", \"id\": 1}").body().path("result"),
                        v -> v.equals(json("[1, 2, 4]")));
    }

    @Test
    void a_version_is_pinned_with_at_and_an_unknown_one_is_not_found() {
        String v = katamari.pool("spec").version();
        Response r = rpc("{\"jsonrpc\": \"2.0\", \"method\": \"spec@" + v + ".subtract\", \"params\": {\"minuend\": 2, \"subtrahend\": 1}, \"id\": 1}");
        assertEquals(1, r.body().path("result").asInt(), r.body().toString());
        assertEquals(v, r.header("Katamari-Version"));
        Response missing = rpc("{\"jsonrpc\": \"2.0\", \"method\": \"spec@v999.subtract\", \"params\": {\"minuend\": 2, \"subtrahend\": 1}, \"id\": 1}");
        assertEquals(-32601, missing.body().path("error").path("code").asInt());
        assertEquals("pool_not_found", missing.body().path("error").path("data").path("code").asText());
    }

    @Test
    void katamari_errors_map_to_spec_codes_with_the_katamari_code_in_data() {
        Response names = rpc("{\"jsonrpc\": \"2.0\", \"method\": \"spec.subtract\", \"params\": {\"minuend\": 2}, \"id\": 1}");
        assertEquals(-32602, names.body().path("error").path("code").asInt(), names.body().toString());
        assertEquals("bad_request", names.body().path("error").path("data").path("code").asText());
        Response raised = rpc("{\"jsonrpc\": \"2.0\", \"method\": \"spec.subtract\", \"params\": {\"minuend\": \"a\", \"subtrahend\": 1}, \"id\": 1}");
        assertEquals(-32603, raised.body().path("error").path("code").asInt(), raised.body().toString());
        assertEquals("handler_error", raised.body().path("error").path("data").path("code").asText());
        Response late = rpc("{\"jsonrpc\": \"2.0\", \"method\": \"echo.sleep\", \"params\": {\"ms\": 3000}, \"id\": 1}", "Katamari-Timeout-Ms", "300");
        assertEquals(-32603, late.body().path("error").path("code").asInt(), late.body().toString());
        assertEquals("timeout", late.body().path("error").path("data").path("code").asText());
    }
}
