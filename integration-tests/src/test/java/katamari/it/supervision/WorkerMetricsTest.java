package katamari.it.supervision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import katamari.it.support.Katamari;
import katamari.worker.metrics.WorkerMetrics;
import org.junit.jupiter.api.Test;

/** A worker agent's GET /metrics: its instances by pool, version and state, in Prometheus format. */
class WorkerMetricsTest {
    @Test
    void metrics_count_the_agents_instances_by_state() throws Exception {
        try (Katamari k = Katamari.start(List.of(Katamari.pool("echo", Katamari.echoCommand(), 2)), Katamari.testWorker(),
                Duration.ofSeconds(20), true);
             WorkerMetrics metrics = new WorkerMetrics(k.worker())) {
            int port = metrics.serve("127.0.0.1", 0);
            HttpResponse<String> r = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode());
            String version = k.pool("echo").version();
            assertTrue(r.body().contains("katamari_worker_instances{pool=\"echo\",state=\"IDLE\",version=\"" + version + "\"} 2.0"), r.body());
            assertTrue(r.body().contains("katamari_worker_instance_restarts{pool=\"echo\",version=\"" + version + "\"} 0.0"), r.body());
            assertTrue(r.body().contains("jvm_memory_used_bytes"), "the agent's JVM too");
        }
    }
}
