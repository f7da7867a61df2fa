package katamari.chassis.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import katamari.chassis.protocol.ChassisMessage.CallError;
import katamari.chassis.protocol.ChassisMessage.CallPool;
import katamari.chassis.protocol.ChassisMessage.CallResult;
import katamari.chassis.protocol.ChassisMessage.Hello;
import katamari.chassis.protocol.ChassisMessage.MethodSpec;
import katamari.topics.ErrorCode;
import katamari.topics.KatamariError;
import katamari.topics.MalformedRecordException;
import katamari.topics.WireCodec;
import org.junit.jupiter.api.Test;

class ProtocolCodecTest {
    private static ObjectNode json(String text) {
        return (ObjectNode) WireCodec.parse(text);
    }

    @Test
    void call_pool_has_the_documented_wire_shape_and_round_trips() {
        CallPool call = new CallPool("c1.n1", "echo", "echo", json("{\"text\":\"hi\"}"));
        String line = ProtocolCodec.encode(call);
        assertEquals("{\"type\":\"call_pool\",\"id\":\"c1.n1\",\"pool\":\"echo\",\"method\":\"echo\",\"args\":{\"text\":\"hi\"}}", line);
        assertEquals(call, ProtocolCodec.decode(line));
    }

    @Test
    void call_result_and_call_error_round_trip() {
        CallResult result = new CallResult("c1.n1", WireCodec.parse("{\"n\":[1,2]}"));
        assertEquals(result, ProtocolCodec.decode(ProtocolCodec.encode(result)));
        CallError error = new CallError("c1.n2", KatamariError.of(ErrorCode.TIMEOUT, "no reply within 20 ms"));
        String line = ProtocolCodec.encode(error);
        assertEquals("{\"type\":\"call_error\",\"id\":\"c1.n2\",\"error\":{\"code\":\"timeout\",\"message\":\"no reply within 20 ms\"}}", line);
        assertEquals(error, ProtocolCodec.decode(line));
    }

    @Test
    void call_result_may_carry_a_null_result() {
        CallResult r = (CallResult) ProtocolCodec.decode("{\"type\":\"call_result\",\"id\":\"x\",\"result\":null}");
        assertTrue(r.result().isNull());
    }

    @Test
    void call_pool_without_args_means_no_arguments() {
        CallPool c = (CallPool) ProtocolCodec.decode("{\"type\":\"call_pool\",\"id\":\"c.n1\",\"pool\":\"p\",\"method\":\"m\"}");
        assertEquals(0, c.args().size());
    }

    @Test
    void call_pool_without_a_pool_or_with_non_object_args_is_malformed() {
        assertThrows(MalformedRecordException.class,
                () -> ProtocolCodec.decode("{\"type\":\"call_pool\",\"id\":\"c.n1\",\"method\":\"m\",\"args\":{}}"));
        assertThrows(MalformedRecordException.class,
                () -> ProtocolCodec.decode("{\"type\":\"call_pool\",\"id\":\"c.n1\",\"pool\":\"p\",\"method\":\"m\",\"args\":[1]}"));
        assertThrows(MalformedRecordException.class,
                () -> ProtocolCodec.decode("{\"type\":\"call_error\",\"id\":\"c.n1\",\"error\":\"boom\"}"));
    }

    @Test
    void hello_with_more_marker_in_the_middle_is_malformed() {
        MalformedRecordException e = assertThrows(MalformedRecordException.class, () -> ProtocolCodec.decode(
                "{\"type\":\"hello\",\"protocol\":1,\"kind\":\"k\",\"methods\":{\"m\":{\"args\":[\"...\",\"a\"]}}}"));
        assertTrue(e.getMessage().contains("last"), e.getMessage());
    }

    @Test
    void hello_with_more_marker_last_decodes() {
        Hello h = (Hello) ProtocolCodec.decode(
                "{\"type\":\"hello\",\"protocol\":1,\"kind\":\"fake\",\"methods\":{\"test_arguments\":{\"args\":[\"cowcat\",\"...\"]}}}");
        MethodSpec spec = h.methods().get("test_arguments");
        assertTrue(spec.acceptsMore());
        assertEquals(List.of("cowcat"), spec.named());
    }

    @Test
    void exact_spec_requires_exactly_the_declared_names() {
        MethodSpec spec = new MethodSpec(List.of("textsy", "options"));
        assertEquals(Optional.empty(), spec.mismatch(Set.of("options", "textsy")));
        assertEquals(Optional.of("takes arguments [textsy, options]; missing [options]"), spec.mismatch(Set.of("textsy")));
        assertEquals(Optional.of("takes arguments [textsy, options]; not accepted [extra]"), spec.mismatch(Set.of("textsy", "options", "extra")));
    }

    @Test
    void spec_ending_in_more_requires_the_named_and_accepts_any_others() {
        MethodSpec spec = new MethodSpec(List.of("cowcat", MethodSpec.MORE));
        assertEquals(Optional.empty(), spec.mismatch(Set.of("cowcat")));
        assertEquals(Optional.empty(), spec.mismatch(Set.of("cowcat", "dogbird", "...")));
        assertEquals(Optional.of("takes arguments [cowcat, ...]; missing [cowcat]"), spec.mismatch(Set.of("dogbird")));
        assertFalse(new MethodSpec(List.of()).acceptsMore());
        assertEquals(Optional.empty(), new MethodSpec(List.of(MethodSpec.MORE)).mismatch(Set.of("anything")));
    }

    @Test
    void duplicate_argument_names_are_refused() {
        assertThrows(IllegalArgumentException.class, () -> new MethodSpec(List.of("a", "a")));
    }
}
