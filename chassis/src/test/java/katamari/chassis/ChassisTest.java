package katamari.chassis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import katamari.chassis.protocol.ChassisMessage;
import katamari.chassis.protocol.ChassisMessage.CallPool;
import katamari.chassis.protocol.ChassisMessage.Failure;
import katamari.chassis.protocol.ChassisMessage.Hello;
import katamari.chassis.protocol.ChassisMessage.Pong;
import katamari.chassis.protocol.ChassisMessage.Result;
import katamari.chassis.protocol.ProtocolCodec;
import org.junit.jupiter.api.Test;

class ChassisTest {
    private static final Chassis FAKE = Chassis.kind("fake")
            .handle("echo", List.of("textsy", "options"), a -> "You said: " + a.text("textsy") + " " + a.get("options"))
            .handle("boom", List.of(), a -> {
                throw new IllegalStateException("kaboom");
            })
            .handle("cry_havok", List.of(), a -> Chassis.returnAndExit("Let slip the dogs of war"))
            .handle("test_arguments", List.of("cowcat", Chassis.MORE), Args::values)
            .handle("shout_via_echo", List.of("text"), a -> {
                JsonNode echoed = a.call("echo", "echo", Map.of("text", a.text("text")));
                return echoed.asText().toUpperCase() + "!";
            })
            .handle("twice", List.of(), a -> a.call("echo", "echo", Map.of("text", "one")).asText()
                    + " " + a.call("echo", "echo", Map.of("text", "two")).asText());

    private static List<ChassisMessage> converse(String... lines) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        FAKE.run(new ByteArrayInputStream((String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8)), out);
        return Arrays.stream(out.toString(StandardCharsets.UTF_8).split("\n")).map(ProtocolCodec::decode).toList();
    }

    @Test
    void says_hello_first_with_its_methods_and_arg_names() {
        Hello hello = (Hello) converse().get(0);
        assertEquals("fake", hello.kind());
        assertEquals(1, hello.protocol());
        assertEquals(List.of("textsy", "options"), hello.methods().get("echo").args());
    }

    @Test
    void answers_a_call_with_the_handler_result() {
        List<ChassisMessage> out = converse("{\"type\":\"call\",\"id\":\"c1\",\"method\":\"echo\",\"args\":{\"textsy\":\"hi\",\"options\":{\"a\":1}},\"deadline\":0}");
        Result r = (Result) out.get(1);
        assertEquals("c1", r.id());
        assertEquals("You said: hi {\"a\":1}", r.result().asText());
    }

    @Test
    void handler_exception_becomes_handler_error_and_the_chassis_keeps_serving() {
        List<ChassisMessage> out = converse("{\"type\":\"call\",\"id\":\"c1\",\"method\":\"boom\",\"args\":{}}",
                "{\"type\":\"ping\",\"id\":\"p1\"}");
        Failure f = (Failure) out.get(1);
        assertEquals("handler_error", f.error().code());
        assertTrue(f.error().message().contains("kaboom"));
        assertEquals(new Pong("p1"), out.get(2));
    }

    @Test
    void unknown_method_is_answered_method_not_found() {
        Failure f = (Failure) converse("{\"type\":\"call\",\"id\":\"c9\",\"method\":\"nope\",\"args\":{}}").get(1);
        assertEquals("method_not_found", f.error().code());
    }

    @Test
    void return_and_exit_replies_with_exit_and_stops_reading() {
        List<ChassisMessage> out = converse("{\"type\":\"call\",\"id\":\"c1\",\"method\":\"cry_havok\",\"args\":{}}",
                "{\"type\":\"ping\",\"id\":\"never\"}");
        assertEquals(2, out.size());
        Result r = assertInstanceOf(Result.class, out.get(1));
        assertTrue(r.exit());
        assertEquals("Let slip the dogs of war", r.result().asText());
    }

    @Test
    void hello_declares_extra_arguments_with_a_trailing_marker_and_the_handler_sees_them_all() {
        List<ChassisMessage> out = converse("{\"type\":\"call\",\"id\":\"c1\",\"method\":\"test_arguments\",\"args\":{\"cowcat\":1,\"dogbird\":[2]}}");
        assertEquals(List.of("cowcat", "..."), ((Hello) out.get(0)).methods().get("test_arguments").args());
        assertEquals("{\"cowcat\":1,\"dogbird\":[2]}", ((Result) out.get(1)).result().toString());
    }

    @Test
    void nested_call_writes_call_pool_and_uses_the_matching_call_result() {
        List<ChassisMessage> out = converse(
                "{\"type\":\"call\",\"id\":\"c1\",\"method\":\"shout_via_echo\",\"args\":{\"text\":\"hi\"},\"deadline\":0}",
                "{\"type\":\"ping\",\"id\":\"p1\"}",
                "{\"type\":\"call_result\",\"id\":\"c1.n1\",\"result\":\"hi\"}");
        CallPool nested = (CallPool) out.get(1);
        assertEquals("c1.n1", nested.id());
        assertEquals("echo", nested.pool());
        assertEquals("echo", nested.method());
        assertEquals("{\"text\":\"hi\"}", nested.args().toString());
        assertEquals(new Pong("p1"), out.get(2), "a ping while waiting is still answered");
        assertEquals("HI!", ((Result) out.get(3)).result().asText());
    }

    @Test
    void nested_calls_of_one_call_are_numbered() {
        List<ChassisMessage> out = converse(
                "{\"type\":\"call\",\"id\":\"c7\",\"method\":\"twice\",\"args\":{}}",
                "{\"type\":\"call_result\",\"id\":\"c7.n1\",\"result\":\"one\"}",
                "{\"type\":\"call_result\",\"id\":\"c7.n2\",\"result\":\"two\"}");
        assertEquals("c7.n1", ((CallPool) out.get(1)).id());
        assertEquals("c7.n2", ((CallPool) out.get(2)).id());
        assertEquals("one two", ((Result) out.get(3)).result().asText());
    }

    @Test
    void nested_timeout_uncaught_becomes_a_timeout_error_of_the_outer_call() {
        List<ChassisMessage> out = converse(
                "{\"type\":\"call\",\"id\":\"c1\",\"method\":\"shout_via_echo\",\"args\":{\"text\":\"hi\"}}",
                "{\"type\":\"call_error\",\"id\":\"c1.n1\",\"error\":{\"code\":\"timeout\",\"message\":\"no reply within 5 ms\"}}",
                "{\"type\":\"ping\",\"id\":\"p2\"}");
        Failure f = (Failure) out.get(2);
        assertEquals("timeout", f.error().code());
        assertTrue(f.error().message().contains("echo.echo"), f.error().message());
        assertEquals(new Pong("p2"), out.get(3));
    }

    @Test
    void nested_error_other_than_timeout_becomes_handler_error_naming_the_inner_code() {
        List<ChassisMessage> out = converse(
                "{\"type\":\"call\",\"id\":\"c1\",\"method\":\"shout_via_echo\",\"args\":{\"text\":\"hi\"}}",
                "{\"type\":\"call_error\",\"id\":\"c1.n1\",\"error\":{\"code\":\"pool_not_found\",\"message\":\"no pool echo\"}}");
        Failure f = (Failure) out.get(2);
        assertEquals("handler_error", f.error().code());
        assertTrue(f.error().message().contains("pool_not_found"), f.error().message());
    }

    @Test
    void nested_call_outside_a_running_chassis_is_refused() {
        Args detached = new Args(com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode(), 0);
        org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, () -> detached.call("echo", "echo", Map.of()));
    }

    @Test
    void more_marker_anywhere_but_last_is_refused_when_declaring() {
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> Chassis.kind("k").handle("m", List.of(Chassis.MORE, "a"), a -> null));
    }
}
