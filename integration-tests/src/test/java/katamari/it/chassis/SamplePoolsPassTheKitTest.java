package katamari.it.chassis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.TextNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import katamari.chassis.conformance.ConformanceKit;
import katamari.chassis.conformance.ConformanceKit.Probe;
import katamari.chassis.conformance.Report;
import katamari.chassis.conformance.Report.Outcome;
import katamari.it.support.Katamari;
import org.junit.jupiter.api.Test;

/** Every sample pool under examples/, run as the shipped command, passes the conformance kit with every probe it can offer. */
class SamplePoolsPassTheKitTest {
    private static final Path HOME = Katamari.HOME;

    private static Report check(ConformanceKit kit) {
        Report report = kit.directory(HOME).run();
        assertTrue(report.passed(), report.render());
        return report;
    }

    @Test
    void echo_java_sample_passes() {
        Path jar = HOME.resolve("examples/echo/target/katamari-echo.jar");
        assertTrue(Files.isRegularFile(jar), "built by mvn install: " + jar);
        check(ConformanceKit.of(List.of("java", "-jar", jar.toString()))
                .call(Probe.of("echo", "{\"text\":\"hi\"}")).textArg("text").expect(TextNode.valueOf("hi"))
                .handlerError(Probe.of("sleep", "{\"ms\":\"soon\"}")));
    }

    @Test
    void fake_ruby_sample_passes_and_echo_inspects_the_options_hash() {
        Report report = check(ConformanceKit.of(List.of("ruby", "examples/fake/fake_handler.rb"))
                .call(Probe.of("echo", "{\"textsy\":\"hi\",\"options\":{\"loud\":true}}")).textArg("textsy")
                .handlerError(Probe.of("failboat", null))
                .returnAndExit(Probe.of("cry_havok", null)));
        assertEquals(Outcome.PASS, report.check("return and exit").outcome());
        String result = report.check("call and reply").detail();
        assertTrue(result.contains("You said: hi {") && result.contains("loud") && result.contains("true}"), report.render());
    }

    @Test
    void fake_test_arguments_accepts_extra_arguments_and_answers_them_all() {
        check(ConformanceKit.of(List.of("ruby", "examples/fake/fake_handler.rb"))
                .call(Probe.of("test_arguments", "{\"cowcat\":\"moo\",\"dogbird\":[1,2]}"))
                .expect(com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode()
                        .put("cowcat", "moo").set("dogbird", com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.arrayNode().add(1).add(2))));
    }

    @Test
    void wordcount_python_sample_passes_including_its_nested_call() {
        check(ConformanceKit.of(List.of("python3", "examples/wordcount/wordcount.py"))
                .call(Probe.of("echo", "{\"text\":\"hi\"}")).textArg("text")
                .handlerError(Probe.of("count", "{\"text\":42}"))
                .nestedCall(Probe.of("echo_and_count", "{\"text\":\"a b\"}"), TextNode.valueOf("a b")));
    }

    @Test
    void shell_jq_sample_from_the_spec_passes() {
        check(ConformanceKit.of(List.of(HOME.resolve("examples/shell/chassis.sh").toString()))
                .call(Probe.of("echo", "{\"text\":\"hi\"}")).textArg("text")
                .handlerError(Probe.of("fail", null))
                .returnAndExit(Probe.of("bye", null)));
    }
}
