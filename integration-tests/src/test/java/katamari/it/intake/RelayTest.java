package katamari.it.intake;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import katamari.config.PoolDefinition;
import katamari.it.support.Http;
import katamari.it.support.Http.Response;
import katamari.it.support.Katamari;
import katamari.worker.InstanceStatus;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * When an instance answers while records wait in the intake, its stdout reader begins the next call itself
 * (pool-worker/.../intake/InstanceSlot#relay). Such a call must keep every guarantee of one begun by the slot.
 */
class RelayTest {
    @Test
    void a_call_begun_by_the_reader_is_stopped_at_its_own_deadline_not_at_the_one_before() throws Exception {
        // one instance, records fetched ahead (prefetch 4), so the hang below waits while the long call runs
        PoolDefinition faulty = PoolDefinition.of("faulty", "v1", Katamari.faultyCommand()).withAttempts(1).withPrefetch(4);
        try (Katamari k = Katamari.start(List.of(faulty), Katamari.testWorker(), Duration.ofSeconds(20), true)) {
            String firstPid = Http.post(k.call("faulty", "pid"), "{}").body().path("result").asText();
            Path log = Files.createTempFile("katamari-relay", ".log");
            // the running call's deadline is the gateway's 20 s away; the hang's is 1.5 s after it is sent
            CompletableFuture<Response> running = Http.postAsync(k.call("faulty", "sleep"), "{\"ms\":1500}");
            Awaitility.await("the sleep is running").atMost(Duration.ofSeconds(10)).until(() -> k.worker().status().stream()
                    .anyMatch(s -> s.state() == InstanceStatus.State.BUSY));
            CompletableFuture<Response> hang = Http.postAsync(k.call("faulty", "hang"), "{\"log\":\"" + log + "\"}",
                    "Katamari-Timeout-Ms", "1500");
            assertEquals(200, running.join().status());
            assertEquals(504, hang.join().status());
            Awaitility.await("the hang started").atMost(Duration.ofSeconds(10)).until(() -> Files.readString(log).contains("called"));
            // queued behind the hang: answered only once the hung instance is stopped at the hang's deadline and
            // replaced, which must not wait for the deadline of the call before it (that would be after this one's)
            Response after = Http.post(k.call("faulty", "pid"), "{}", "Katamari-Timeout-Ms", "8000");
            assertEquals(200, after.status(), after.body().toString());
            assertNotEquals(firstPid, after.body().path("result").asText(), "answered by the replacement");
        }
    }
}
