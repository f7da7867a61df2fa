package katamari.it.intake;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import katamari.config.PoolDefinition;
import katamari.config.WorkerSettings;
import katamari.it.support.Http;
import katamari.it.support.Http.Response;
import katamari.it.support.Katamari;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Pools with {@code pipeline: true}: the agent writes an instance its next call before the current one is answered
 * (pool-worker/.../intake/InstanceSlot#writeAhead).
 */
class PipelineTest {
    private static PoolDefinition pipelined(String name, List<String> command) {
        return PoolDefinition.of(name, "v1", command).withPipeline(true);
    }

    private final ExecutorService callers = Executors.newFixedThreadPool(4);

    @AfterEach
    void stopCallers() {
        callers.shutdownNow();
    }

    @Test
    void a_python_chassis_keeps_a_call_written_ahead_while_it_waits_for_a_nested_call() throws Exception {
        // every echo_and_count waits for a nested call through Kafka, so with a queue of them the next call is
        // written ahead while the chassis reads stdin for its call_result: it must keep it, not drop it
        WorkerSettings w = Katamari.testWorker();
        WorkerSettings withPython = w.withAllowedCommands(List.of("java", "python3"));
        try (Katamari k = Katamari.start(List.of(Katamari.pool("echo", Katamari.echoCommand(), 2),
                pipelined("wordcount", Katamari.python("wordcount/wordcount.py"))), withPython, Duration.ofSeconds(20), true)) {
            List<Future<Response>> answers = new ArrayList<>();
            for (int i = 0; i < 60; i++) {
                String text = "request " + i + " of sixty";
                answers.add(callers.submit(() -> Http.post(k.call("wordcount", "echo_and_count"), "{\"text\":\"" + text + "\"}",
                        "Katamari-Timeout-Ms", "10000")));
            }
            for (int i = 0; i < 60; i++) {
                Response r = answers.get(i).get();
                assertEquals(200, r.status(), "request " + i + ": " + r.body());
                assertEquals("request " + i + " of sixty", r.body().path("result").path("echoed").asText());
                assertEquals(4, r.body().path("result").path("words").asInt());
            }
        }
    }

    @Test
    void a_call_written_ahead_of_one_that_hangs_is_answered_by_the_next_instance() throws Exception {
        try (Katamari k = Katamari.start(List.of(pipelined("faulty", Katamari.faultyCommand())), Katamari.testWorker(),
                Duration.ofSeconds(20), true)) {
            // teach the slot that calls take about 300 ms, so it writes the next call ahead at about 240 ms
            for (int i = 0; i < 3; i++) {
                assertEquals(200, Http.post(k.call("faulty", "sleep"), "{\"ms\":300}").status());
            }
            String firstPid = Http.post(k.call("faulty", "pid"), "{}").body().path("result").asText();
            Path log = Files.createTempFile("katamari-pipeline", ".log");
            Future<Response> hang = callers.submit(() -> Http.post(k.call("faulty", "hang_watching_stdin"),
                    "{\"log\":\"" + log + "\"}", "Katamari-Timeout-Ms", "4000"));
            // the hang is the call running, so the pid call becomes the one written ahead
            Awaitility.await("the hang started").atMost(Duration.ofSeconds(10)).until(() -> Files.readString(log).contains("called"));
            Future<Response> next = callers.submit(() -> Http.post(k.call("faulty", "pid"), "{}", "Katamari-Timeout-Ms", "20000"));
            // the hung instance sees the pid call on its stdin: it was written ahead, not left waiting in Kafka
            Awaitility.await("the pid call written ahead to the hung instance").atMost(Duration.ofSeconds(10))
                    .until(() -> Files.readString(log).contains("the next call waits on stdin"));
            Response hung = hang.get();
            assertEquals(504, hung.status(), hung.body().toString());
            Response answered = next.get();
            assertEquals(200, answered.status(), answered.body().toString());
            // the hung instance was stopped at the deadline: the call written ahead ran on its replacement
            String pid = answered.body().path("result").asText();
            assertEquals(false, pid.equals(firstPid), "answered by the replacement, not by pid " + firstPid);
        }
    }
}
