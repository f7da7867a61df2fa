package katamari.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import katamari.it.support.Http;
import katamari.it.support.Http.Response;
import katamari.it.support.Katamari;
import katamari.topics.WireCodec;
import org.awaitility.Awaitility;
import katamari.it.support.ProcessOutput;
import katamari.it.support.FreePorts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code KATAMARI_LOG_FORMAT=json} as a log shipper sees it: a real {@code katamari dev} with an admin key and an API
 * key, called rightly and wrongly; every line it writes, on either stream, is one JSON object with the documented
 * fields, and neither secret appears anywhere.
 */
class JsonLogsTest {
    private static final Pattern READY = Pattern.compile("Katamari is ready: gateway (http://\\S+)\\s+kafka \\S+\\s+admin (http://\\S+)");
    private static final List<String> FIELDS = List.of("time", "level", "role", "pool", "version", "instance", "requestId", "message");

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
    void every_line_of_a_json_logging_role_is_an_object_with_the_fields_and_no_secret() throws Exception {
        String adminKey = "admin-" + UUID.randomUUID();
        String apiKey = "api-" + UUID.randomUUID();
        Path config = Files.writeString(data.resolve("katamari.yaml"), """
                gateway:
                  apiKeys:
                    ops:
                      pools: ["*"]
                worker:
                  allowedCommands: [java]
                pools:
                  - name: echo
                    version: v1
                    command: [java, -jar, "${KATAMARI_HOME}/examples/echo/target/katamari-echo.jar"]
                """);
        ProcessBuilder pb = new ProcessBuilder("java", "-jar", Katamari.HOME.resolve("launcher/target/katamari.jar").toString(), "dev",
                "--config", config.toString(), "--port", "0", "--kafka-port", String.valueOf(FreePorts.pick(1)[0]),
                "--member-port", String.valueOf(FreePorts.pick(1)[0]), "--admin-port", "0", "--data-dir", data.resolve("kafka").toString());
        pb.environment().put("KATAMARI_HOME", Katamari.HOME.toString());
        pb.environment().put("KATAMARI_LOG_FORMAT", "json");
        pb.environment().put("KATAMARI_CLUSTER_ADMIN_KEY", adminKey);
        pb.environment().put("KATAMARI_GATEWAY_API_KEYS_OPS_KEY", apiKey);
        dev = pb.redirectErrorStream(true).start();
        List<String> lines = new CopyOnWriteArrayList<>();
        Thread reader = new Thread(() -> ProcessOutput.readLines(dev, lines), "dev-output");
        reader.setDaemon(true);
        reader.start();

        Awaitility.await("dev ready").atMost(Duration.ofSeconds(150)).failFast("dev exited", () -> !dev.isAlive())
                .until(() -> lines.stream().anyMatch(l -> READY.matcher(l).find()));
        Matcher ready = lines.stream().map(READY::matcher).filter(Matcher::find).findFirst().orElseThrow();
        String gateway = ready.group(1);
        String admin = ready.group(2);

        assertEquals(200, Http.post(gateway + "/pools/echo/echo", "{\"text\":\"hi\"}", "Authorization", "Bearer " + apiKey).status());
        assertEquals(500, Http.post(gateway + "/pools/echo/sleep", "{\"ms\":\"soon\"}", "Authorization", "Bearer " + apiKey).status());
        Response refused = Http.post(gateway + "/pools/echo/echo", "{\"text\":\"hi\"}", "Authorization", "Bearer not-" + apiKey);
        assertEquals(401, refused.status());
        assertEquals(200, Http.get(admin + "/cluster", "Katamari-Admin-Key", adminKey).status());
        assertEquals(403, Http.get(admin + "/cluster", "Katamari-Admin-Key", "not-" + adminKey).status());
        String refusedId = refused.header("Katamari-Id");
        Awaitility.await("the refusal logged").atMost(Duration.ofSeconds(10))
                .until(() -> lines.stream().anyMatch(l -> l.contains(refusedId)));

        dev.destroy();
        Awaitility.await("dev exits").atMost(Duration.ofSeconds(60)).until(() -> !dev.isAlive());
        reader.join(5_000);

        List<JsonNode> records = new ArrayList<>();
        for (String line : lines) {
            JsonNode record = WireCodec.parse(line); // throws on a line that is not one JSON document
            assertTrue(record.isObject(), line);
            FIELDS.forEach(f -> assertTrue(record.has(f), "field " + f + " in " + line));
            assertTrue(record.path("message").isTextual() && record.path("time").isTextual(), line);
            assertFalse(line.contains(adminKey), "the admin key is logged: " + line);
            assertFalse(line.contains(apiKey), "the API key is logged: " + line);
            records.add(record);
        }
        assertTrue(records.size() > 10, "dev logs its start: " + records.size() + " lines");
        assertTrue(records.stream().anyMatch(r -> r.path("role").asText().equals("gateway")
                && r.path("requestId").asText().equals(refusedId)), "the gateway's refusal names its request id");
        assertTrue(records.stream().anyMatch(r -> r.path("role").asText().equals("worker") && r.path("pool").asText().equals("echo")
                && r.path("version").asText().equals("v1") && r.path("instance").isTextual()),
                "the instance's stderr names pool, version and instance");
        assertTrue(records.stream().anyMatch(r -> r.path("role").asText().equals("dispatcher")), "the dispatcher logs as itself");
    }


}
