package katamari.chassis.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import katamari.chassis.conformance.ConformanceKit.Probe;
import katamari.chassis.conformance.Report.Check;
import katamari.chassis.conformance.Report.Outcome;
import org.junit.jupiter.api.Test;

/** Chassis with one deliberate mistake each: the kit fails the right check and says what to do instead. */
class KitReportsMistakesTest {
    private static ConformanceKit misbehaving(String mode) {
        return ConformanceKit.of(List.of("python3", LibrariesPassTheKitTest.RESOURCES.resolve("misbehaving.py").toString(), mode))
                .call(Probe.of("echo", "{\"text\":\"hi\"}")).textArg("text");
    }

    private static Check failed(Report report, String check, String... phrases) {
        assertFalse(report.passed(), report.render());
        Check c = report.check(check);
        assertEquals(Outcome.FAIL, c.outcome(), report.render());
        for (String phrase : phrases) {
            assertTrue(c.detail().contains(phrase), "'" + phrase + "' in:\n" + report.render());
        }
        return c;
    }

    @Test
    void a_well_behaved_raw_chassis_passes() {
        Report report = misbehaving("none").run();
        assertTrue(report.passed(), report.render());
    }

    @Test
    void no_hello_within_the_timeout_fails_hello() {
        Report report = ConformanceKit.of(List.of("python3", "-c", "import sys; sys.stdin.read()"))
                .helloTimeout(Duration.ofMillis(300)).run();
        failed(report, "hello", "no hello within 300 ms");
    }

    @Test
    void exiting_before_hello_shows_the_status_and_stderr() {
        Report report = ConformanceKit.of(List.of("python3", "-c", "import sys; sys.stderr.write('cannot load the model\\n'); sys.exit(3)")).run();
        failed(report, "hello", "status 3", "cannot load the model");
    }

    @Test
    void a_log_line_before_hello_fails_hello_and_stdout() {
        Report report = misbehaving("garbage-first").run();
        failed(report, "hello", "first line", "Starting up...");
        failed(report, "stdout is protocol only", "line 1", "stderr");
    }

    @Test
    void a_stray_print_fails_only_the_stdout_check_naming_the_line() {
        Report report = misbehaving("print-noise").run();
        failed(report, "stdout is protocol only", "debug: got a ping", "not JSON");
        assertEquals(Outcome.PASS, report.check("ping").outcome(), report.render());
    }

    @Test
    void answering_with_another_id_is_explained() {
        Report report = misbehaving("wrong-id").run();
        failed(report, "unknown method", "something-else", "id");
    }

    @Test
    void answering_an_unknown_method_with_a_reply_fails_unknown_method() {
        Report report = misbehaving("always-reply").run();
        failed(report, "unknown method", "method_not_found");
    }

    @Test
    void utf8_read_as_latin1_is_called_mojibake() {
        Report report = misbehaving("latin1").run();
        failed(report, "non-ASCII text", "U+00FC", "Latin-1");
    }

    @Test
    void options_naming_an_undeclared_method_or_wrong_args_fail_with_the_declared_ones() {
        Report report = ConformanceKit.of(List.of("python3", LibrariesPassTheKitTest.RESOURCES.resolve("misbehaving.py").toString(), "none"))
                .call(Probe.of("echo", "{\"txt\":\"hi\"}"))
                .handlerError(Probe.of("nope", null)).run();
        failed(report, "call and reply", "missing [text]", "not accepted [txt]");
        failed(report, "handler error", "no such method", "[echo]");
    }

    @Test
    void a_command_that_does_not_exist_fails_hello() {
        Report report = ConformanceKit.of(List.of("/nonexistent/chassis")).run();
        failed(report, "hello", "cannot start");
    }
}
