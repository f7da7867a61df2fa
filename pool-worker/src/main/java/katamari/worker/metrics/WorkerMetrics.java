package katamari.worker.metrics;

import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import katamari.worker.InstanceStatus;
import katamari.worker.WorkerAgent;

/**
 * {@code GET /metrics} of a worker agent, in Prometheus format: its instances by pool, version and state, their
 * restarts and degraded slots, its intakes' health and feeder restarts, the records cancels kept from running or
 * from being answered, and the agent's JVM; and {@code GET /readyz}
 * (200, or 503 with why while some pool-version cannot be fed). The worker has no other HTTP surface, so this is the JDK's
 * small HTTP server on its own port, bound to the given host (127.0.0.1 unless configured otherwise).
 */
public final class WorkerMetrics implements AutoCloseable {
    private final WorkerAgent agent;
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final MultiGauge instances;
    private final MultiGauge restarts;
    private final MultiGauge degraded;
    private final MultiGauge intakeHealthy;
    private final MultiGauge intakeRestarts;
    private final MultiGauge cancelled;
    private HttpServer server;

    public WorkerMetrics(WorkerAgent agent) {
        this.agent = agent;
        this.instances = MultiGauge.builder("katamari.worker.instances").description("instances by pool, version and state").register(registry);
        this.restarts = MultiGauge.builder("katamari.worker.instance.restarts").description("restarts after failures, per pool-version").register(registry);
        this.degraded = MultiGauge.builder("katamari.worker.degraded.slots").description("slots whose launches keep failing").register(registry);
        this.intakeHealthy = MultiGauge.builder("katamari.worker.intake.healthy")
                .description("1 while the pool-version's intake can feed its instances, 0 while a feeder is down or failing repeatedly").register(registry);
        this.intakeRestarts = MultiGauge.builder("katamari.worker.intake.restarts").description("feeder restarts after consumer failures, per pool-version").register(registry);
        this.cancelled = MultiGauge.builder("katamari.worker.cancelled")
                .description("records acknowledged without a reply because their request was cancelled, by stage: waiting (never run) or running (stopped or answer dropped)")
                .register(registry);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
    }

    /** The Prometheus text, sampled now. */
    public String scrape() {
        List<InstanceStatus> status = agent.status();
        Map<Tags, Long> byState = new TreeMap<>(java.util.Comparator.comparing(Tags::toString));
        status.forEach(s -> byState.merge(Tags.of("pool", s.pool(), "version", s.version(), "state", s.state().name()), 1L, Long::sum));
        instances.register(byState.entrySet().stream().map(e -> MultiGauge.Row.of(e.getKey(), e.getValue())).collect(Collectors.toList()), true);
        Map<String, List<InstanceStatus>> byPool = status.stream().collect(Collectors.groupingBy(s -> s.pool() + "\n" + s.version()));
        restarts.register(byPool.values().stream().map(l -> MultiGauge.Row.of(tags(l.get(0)), l.stream().mapToInt(InstanceStatus::restarts).sum()))
                .collect(Collectors.toList()), true);
        degraded.register(byPool.values().stream().map(l -> MultiGauge.Row.of(tags(l.get(0)), l.stream().filter(InstanceStatus::degraded).count()))
                .collect(Collectors.toList()), true);
        Map<String, String> unhealthy = agent.unhealthy();
        Map<String, Integer> feederRestarts = agent.intakeRestarts();
        intakeHealthy.register(feederRestarts.keySet().stream().map(k -> MultiGauge.Row.of(tags(k), unhealthy.containsKey(k) ? 0 : 1))
                .collect(Collectors.toList()), true);
        intakeRestarts.register(feederRestarts.entrySet().stream().map(e -> MultiGauge.Row.of(tags(e.getKey()), e.getValue()))
                .collect(Collectors.toList()), true);
        cancelled.register(agent.cancelled().entrySet().stream().flatMap(e -> e.getValue().entrySet().stream()
                .map(s -> MultiGauge.Row.of(tags(e.getKey()).and("stage", s.getKey().name().toLowerCase()), s.getValue())))
                .collect(Collectors.toList()), true);
        return registry.scrape();
    }

    private static Tags tags(String poolKey) {
        int slash = poolKey.indexOf('/');
        return Tags.of("pool", poolKey.substring(0, slash), "version", poolKey.substring(slash + 1));
    }

    private static Tags tags(InstanceStatus s) {
        return Tags.of("pool", s.pool(), "version", s.version());
    }

    /** Serves {@code /metrics} on {@code host:port} (0: any free port); returns the port. */
    public int serve(String host, int port) throws IOException {
        server = HttpServer.create(new InetSocketAddress(host, port), 0);
        server.createContext("/metrics", exchange -> {
            byte[] body = scrape().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        // 503 while some pool-version cannot be fed (a feeder down or failing repeatedly), with why: a supervisor or
        // load balancer that restarts unready workers then restarts one that starves instead of leaving it idle
        server.createContext("/readyz", exchange -> {
            Map<String, String> unhealthy = agent.unhealthy();
            byte[] body = (unhealthy.isEmpty() ? "ready\n" : unhealthy.entrySet().stream().map(e -> e.getKey() + ": " + e.getValue() + "\n")
                    .collect(Collectors.joining())).getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
            exchange.sendResponseHeaders(unhealthy.isEmpty() ? 200 : 503, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        if (server != null) {
            server.stop(0);
        }
        registry.close();
    }
}
