package katamari.topics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class WireCodecTest {
    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void request_round_trips_with_its_named_args() {
        Request r = WireCodec.decodeRequest(utf8("{\"method\":\"echo\",\"args\":{\"textsy\":\"hi ü\",\"options\":{}}}"));
        assertEquals("echo", r.method());
        assertEquals("hi ü", r.args().get("textsy").asText());
        assertEquals(r, WireCodec.decodeRequest(WireCodec.encodeRequest(r)));
    }

    @Test
    void request_without_args_gets_an_empty_object() {
        assertEquals(0, WireCodec.decodeRequest(utf8("{\"method\":\"cry_havok\"}")).args().size());
    }

    @Test
    void malformed_requests_are_refused_with_a_reason() {
        assertThrows(MalformedRecordException.class, () -> WireCodec.decodeRequest(utf8("{\"method\":")));
        assertThrows(MalformedRecordException.class, () -> WireCodec.decodeRequest(utf8("[1,2]")));
        assertThrows(MalformedRecordException.class, () -> WireCodec.decodeRequest(utf8("{\"args\":{}}")));
        var e = assertThrows(MalformedRecordException.class, () -> WireCodec.decodeRequest(utf8("{\"method\":\"m\",\"args\":[1]}")));
        assertTrue(e.getMessage().contains("args"), e.getMessage());
        assertThrows(MalformedRecordException.class, () -> WireCodec.decodeRequest(null));
    }

    @Test
    void success_reply_keeps_a_null_result_explicit() {
        String json = new String(WireCodec.encodeReply(Reply.success("c1", null)), StandardCharsets.UTF_8);
        assertEquals("{\"id\":\"c1\",\"result\":null}", json);
    }

    @Test
    void error_reply_round_trips_with_pool_and_version() {
        Reply r = Reply.failure("c2", KatamariError.of(ErrorCode.TIMEOUT, "late").at("echo", "v1"));
        Reply back = WireCodec.decodeReply(WireCodec.encodeReply(r));
        assertEquals(r, back);
        assertEquals(ErrorCode.TIMEOUT, back.error().knownCode());
        assertEquals(504, back.error().knownCode().httpStatus());
    }

    @Test
    void unknown_error_code_from_a_chassis_counts_as_handler_error() {
        Reply r = WireCodec.decodeReply(utf8("{\"id\":\"x\",\"error\":{\"code\":\"my_own\",\"message\":\"m\"}}"));
        assertEquals("my_own", r.error().code());
        assertEquals(ErrorCode.HANDLER_ERROR, r.error().knownCode());
    }

    @Test
    void canonical_json_sorts_the_keys_of_every_object_and_keeps_array_order() {
        assertEquals("{\"a\":[{\"x\":1,\"y\":2},3],\"b\":null}", WireCodec.canonical(WireCodec.parse("{\"b\":null,\"a\":[{\"y\":2,\"x\":1},3]}")));
        assertEquals(WireCodec.canonical(WireCodec.parse("[1,2]")), "[1,2]");
    }

    @Test
    void a_no_quorum_error_carries_its_answers_through_the_codec() {
        Reply r = Reply.failure("c", KatamariError.of(ErrorCode.NO_QUORUM, "no majority").at("vote", "v1")
                .withAnswers(WireCodec.parse("[{\"count\":1,\"result\":7},{\"count\":1,\"failed\":\"timeout\"}]")));
        Reply back = WireCodec.decodeReply(WireCodec.encodeReply(r));
        assertEquals(r, back);
        assertEquals(502, back.error().knownCode().httpStatus());
    }
}
