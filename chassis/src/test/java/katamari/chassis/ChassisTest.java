package katamari.chassis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import katamari.chassis.protocol.ChassisMessage;
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
            .handle("cry_havok", List.of(), a -> Chassis.returnAndExit("Let slip the dogs of war"));

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
}
