package katamari.chassis.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.TextNode;
import java.nio.file.Path;
import java.util.List;
import katamari.chassis.conformance.ConformanceKit.Probe;
import katamari.chassis.conformance.Report.Outcome;
import org.junit.jupiter.api.Test;

/** The Java, Python and Ruby chassis libraries, each running a real chassis process, pass every check of the kit. */
class LibrariesPassTheKitTest {
    static final Path RESOURCES = Path.of("src/test/resources/conformance").toAbsolutePath();

    static ConformanceKit everyProbe(List<String> command) {
        return ConformanceKit.of(command)
                .call(Probe.of("echo", "{\"text\":\"hi\"}")).textArg("text").expect(TextNode.valueOf("hi"))
                .handlerError(Probe.of("boom", null))
                .nestedCall(Probe.of("relay", "{\"text\":\"hi\"}"), TextNode.valueOf("hi"))
                .returnAndExit(Probe.of("bye", null));
    }

    static void assertPassesEveryCheck(Report report) {
        assertTrue(report.passed(), report.render());
        assertEquals(0, report.count(Outcome.SKIP), report.render());
    }

    @Test
    void java_library_passes_every_check() {
        String java = ProcessHandle.current().info().command().orElse("java");
        assertPassesEveryCheck(everyProbe(List.of(java, "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                "-cp", System.getProperty("java.class.path"), KitChassis.class.getName())).run());
    }

    @Test
    void python_library_passes_every_check() {
        assertPassesEveryCheck(everyProbe(List.of("python3", RESOURCES.resolve("kit_chassis.py").toString())).run());
    }

    @Test
    void ruby_library_passes_every_check() {
        assertPassesEveryCheck(everyProbe(List.of("ruby", RESOURCES.resolve("kit_chassis.rb").toString())).run());
    }
}
