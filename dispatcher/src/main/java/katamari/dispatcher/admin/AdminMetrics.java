package katamari.dispatcher.admin;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code GET /metrics} of a dispatcher, in Prometheus text format: the cluster as this dispatcher sees it (the same
 * numbers as {@code GET /cluster}) plus its own JVM. Gauges read a snapshot taken at each scrape; a pool-version that
 * is gone reads NaN.
 */
final class AdminMetrics {
    /** {@code GET /cluster}'s per-version fields exported as {@code katamari_cluster_version_<field>}. */
    private static final List<String> VERSION_FIELDS = List.of("weight", "instances", "running", "available", "inUse", "stopping", "unplaced",
            "restarts", "requests", "failures", "pending");

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Set<String> registered = ConcurrentHashMap.newKeySet();
    private volatile Map<String, Double> values = Map.of();

    AdminMetrics(String self) {
        registry.config().commonTags("dispatcher", self);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
    }

    @SuppressWarnings("unchecked")
    synchronized String scrape(Map<String, Object> cluster) {
        Map<String, Double> now = new HashMap<>();
        Map<String, Object> self = (Map<String, Object>) cluster.getOrDefault("self", Map.of());
        gauge(now, "katamari.dispatcher.leader", Tags.empty(), Boolean.TRUE.equals(self.get("leader")) ? 1 : 0);
        gauge(now, "katamari.dispatcher.fence", Tags.empty(), number(self.get("fence")));
        gauge(now, "katamari.dispatcher.stale.writes.refused", Tags.empty(), number(self.get("staleWritesRefused")));
        List<Map<String, Object>> workers = (List<Map<String, Object>>) cluster.getOrDefault("workers", List.of());
        gauge(now, "katamari.cluster.workers", Tags.empty(), workers.size());
        gauge(now, "katamari.cluster.workers.unhealthy", Tags.empty(), workers.stream().filter(w -> Boolean.FALSE.equals(w.get("healthy"))).count());
        Map<String, List<Map<String, Object>>> pools = (Map<String, List<Map<String, Object>>>) cluster.getOrDefault("pools", Map.of());
        pools.forEach((pool, versions) -> versions.forEach(v -> {
            Tags tags = Tags.of("pool", pool, "version", String.valueOf(v.get("version")));
            for (String field : VERSION_FIELDS) {
                gauge(now, "katamari.cluster.version." + snake(field), tags, number(v.get(field)));
            }
        }));
        values = now;
        return registry.scrape();
    }

    private void gauge(Map<String, Double> now, String name, Tags tags, double value) {
        String key = name + tags;
        now.put(key, value);
        if (registered.add(key)) {
            Gauge.builder(name, () -> values.getOrDefault(key, Double.NaN)).tags(tags).register(registry);
        }
    }

    private static double number(Object o) {
        return o instanceof Number n ? n.doubleValue() : o instanceof Boolean b ? (b ? 1 : 0) : Double.NaN;
    }

    private static String snake(String camel) {
        return camel.replaceAll("([a-z])([A-Z])", "$1.$2").toLowerCase();
    }
}
