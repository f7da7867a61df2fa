package katamari.topics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import org.junit.jupiter.api.Test;

/** The response cache's key text: the gateway and the agent must derive the same one from the same arguments. */
class CanonicalJsonTest {
    @Test
    void object_keys_are_sorted_at_every_depth_and_arrays_keep_their_order() {
        assertEquals("{\"a\":[3,1,{\"x\":1,\"y\":2}],\"b\":{\"c\":null,\"d\":\"é\"}}",
                CanonicalJson.write(WireCodec.parse("{ \"b\": {\"d\":\"\\u00e9\", \"c\": null}, \"a\": [3, 1, {\"y\":2,\"x\":1}] }")));
    }

    @Test
    void arguments_read_back_from_the_request_record_the_gateway_wrote_give_the_same_text() {
        String body = "{\"z\":1.5,\"a\":{\"n\":-0.0,\"big\":12345678901234567890,\"s\":\"line\\nbreak \\\"q\\\"\"},\"e\":1e3}";
        com.fasterxml.jackson.databind.node.ObjectNode args = (com.fasterxml.jackson.databind.node.ObjectNode) WireCodec.parse(body);
        Request back = WireCodec.decodeRequest(WireCodec.encodeRequest(new Request("m", args)));
        assertEquals(CanonicalJson.write(args), CanonicalJson.write(back.args()));
    }

    @Test
    void numbers_keep_their_kind() {
        assertNotEquals(CanonicalJson.write(WireCodec.parse("{\"n\":1}")), CanonicalJson.write(WireCodec.parse("{\"n\":1.0}")));
    }
}
