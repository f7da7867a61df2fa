package katamari.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import katamari.it.support.Http;
import katamari.it.support.Http.Response;
import katamari.it.support.Katamari;
import org.awaitility.Awaitility;
import katamari.it.support.ProcessOutput;
import katamari.it.support.FreePorts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code katamari dev} as a user runs it: a separate JVM, its own broker, the shipped config; a signal stops it all. */
class DevModeTest {
    private static final Pattern READY = Pattern.compile("Katamari is ready: gateway (http://\\S+)\\s+kafka (\\S+)");

    @TempDir
    Path data;
    private Process dev;

    @AfterEach
    void killLeftovers() {
        if (dev != null && dev.isAlive()) {
            dev.descendants().forEach(ProcessHandle::destroyForcibly);
            dev.destroyForcibly();
        }
    }

    @Test
    void dev_answers_echo_and_sigterm_stops_broker_chassis_and_jvm() throws Exception {
        Path jar = Katamari.HOME.resolve("launcher/target/katamari.jar");
        assertTrue(Files.isRegularFile(jar), "the runnable jar is built by the launcher module: " + jar);
        ProcessBuilder pb = new ProcessBuilder("java", "-jar", jar.toString(), "dev",
                "--port", "0", "--kafka-port", String.valueOf(FreePorts.pick(1)[0]), "--data-dir", data.toString())
                .redirectErrorStream(true);
        pb.environment().put("KATAMARI_HOME", Katamari.HOME.toString());
        dev = pb.start();
        List<String> output = new CopyOnWriteArrayList<>();
        Thread reader = new Thread(() -> ProcessOutput.readLines(dev, output), "dev-output");
        reader.setDaemon(true);
        reader.start();

        Awaitility.await("dev ready line").atMost(Duration.ofSeconds(120))
                .failFast("dev exited", () -> !dev.isAlive())
                .until(() -> output.stream().anyMatch(l -> READY.matcher(l).find()));
        Matcher m = output.stream().map(READY::matcher).filter(Matcher::find).findFirst().orElseThrow();
        String gateway = m.group(1);

        Response r = Http.post(gateway + "/pools/echo/echo", "{\"text\":\"hi\"}");
        assertEquals(200, r.status(), r.body().toString());
        assertEquals("hi", r.body().get("result").asText());

        List<ProcessHandle> children = dev.descendants().toList();
        long echoes = children.stream().filter(h -> h.info().commandLine().orElse("").contains("katamari-echo.jar")).count();
        assertEquals(4, echoes, "the shipped config runs 4 echo instances: " + children);

        // SIGTERM, not SIGINT: a JVM started from a background job inherits SIGINT as ignored, so only SIGTERM
        // is sure to reach the shutdown hook here; both run the same hook in a terminal.
        dev.destroy();
        Awaitility.await("dev JVM exits").atMost(Duration.ofSeconds(60)).until(() -> !dev.isAlive());
        Awaitility.await("no chassis (nor any other child) left").atMost(Duration.ofSeconds(10))
                .until(() -> children.stream().noneMatch(ProcessHandle::isAlive));
        assertFalse(output.stream().anyMatch(l -> l.contains("Exception in thread")), String.join("\n", output));
    }


}
