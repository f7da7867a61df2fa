package katamari.dispatcher.admin;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.config.MeterFilter;
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
            "restarts", "requests", "failures", "pending", "capacityLimited", "scaleChanges");

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Set<String> registered = ConcurrentHashMap.newKeySet();
    private volatile Map<String, Double> values = Map.of();

    AdminMetrics(String self) {
        registry.config().commonTags("dispatcher", self);
        // two of Micrometer's processor meters break Prometheus naming (promtool: "process_cpu_time_ns_total", a unit
        // abbreviated; "system_cpu_count", a _count suffix on a gauge); process_cpu_usage and system_cpu_usage stay
        registry.config().meterFilter(MeterFilter.deny(id -> id.getName().equals("process.cpu.time") || id.getName().equals("system.cpu.count")));
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
        Map<String, Object> totals = (Map<String, Object>) cluster.getOrDefault("totals", Map.of());
        gauge(now, "katamari.cluster.capacity.exhausted", Tags.empty(), number(totals.get("capacityExhausted")));
        Map<String, List<Map<String, Object>>> pools = (Map<String, List<Map<String, Object>>>) cluster.getOrDefault("pools", Map.of());
        pools.forEach((pool, versions) -> versions.forEach(v -> {
            Tags tags = Tags.of("pool", pool, "version", String.valueOf(v.get("version")));
            for (String field : VERSION_FIELDS) {
                gauge(now, "katamari.cluster.version." + snake(field), tags, number(v.get(field)));
            }
        }));
        hazelcast(now, (Map<String, Object>) cluster.getOrDefault("hazelcast", Map.of()));
        values = now;
        return registry.scrape();
    }

    /** {@code GET /cluster}'s {@code hazelcast} section: what Management Center would chart. */
    @SuppressWarnings("unchecked")
    private void hazelcast(Map<String, Double> now, Map<String, Object> hz) {
        if (hz.isEmpty()) {
            return;
        }
        gauge(now, "katamari.hazelcast.members", Tags.empty(), size(hz.get("members")));
        gauge(now, "katamari.hazelcast.cluster.safe", Tags.empty(), number(hz.get("clusterSafe")));
        gauge(now, "katamari.hazelcast.clients", Tags.empty(), number(hz.get("clients")));
        Map<String, Object> cp = (Map<String, Object>) hz.getOrDefault("cp", Map.of());
        gauge(now, "katamari.hazelcast.cp.enabled", Tags.empty(), number(cp.get("enabled")));
        gauge(now, "katamari.hazelcast.cp.local.member", Tags.empty(), number(cp.get("localMember")));
        gauge(now, "katamari.hazelcast.cp.members", Tags.empty(), size(cp.get("members")));
        gauge(now, "katamari.hazelcast.cp.groups", Tags.empty(), size(cp.get("groups")));
        ((Map<String, Object>) hz.getOrDefault("maps", Map.of())).forEach((map, entries) ->
                gauge(now, "katamari.hazelcast.map.entries", Tags.of("map", map), number(entries)));
    }

    private static double size(Object list) {
        return list instanceof List<?> l ? l.size() : Double.NaN;
    }

    /** HELP text of every gauge (promtool and Prometheus users expect one). */
    private static final Map<String, String> HELP = Map.ofEntries(
            Map.entry("katamari.dispatcher.leader", "1 when this dispatcher is the master"),
            Map.entry("katamari.dispatcher.fence", "the fence of this dispatcher's term as master, 0 when it does not lead"),
            Map.entry("katamari.dispatcher.stale.writes.refused", "metadata writes this dispatcher refused because its fence was stale"),
            Map.entry("katamari.cluster.workers", "worker agents registered with the masters"),
            Map.entry("katamari.cluster.workers.unhealthy", "worker agents that report an intake which cannot fetch"),
            Map.entry("katamari.cluster.version.weight", "routing weight of the pool-version"),
            Map.entry("katamari.cluster.version.instances", "instances the pool-version should run"),
            Map.entry("katamari.cluster.version.running", "instances of the pool-version that run, as the workers report them"),
            Map.entry("katamari.cluster.version.available", "instances of the pool-version idle and ready"),
            Map.entry("katamari.cluster.version.in.use", "instances of the pool-version running a request"),
            Map.entry("katamari.cluster.version.stopping", "instances of the pool-version finishing their last request before they stop"),
            Map.entry("katamari.cluster.version.unplaced", "instances of the pool-version no worker has room for"),
            Map.entry("katamari.cluster.version.restarts", "restarts of the pool-version's instances since their workers started"),
            Map.entry("katamari.cluster.version.requests", "requests the live gateways answered for the pool-version since they started"),
            Map.entry("katamari.cluster.version.failures", "requests the live gateways answered with an error since they started"),
            Map.entry("katamari.cluster.version.pending", "calls waiting for a reply at the live gateways"),
            Map.entry("katamari.cluster.version.capacity.limited", "1 when the autoscaler wants more instances of the pool-version than the workers have room for"),
            Map.entry("katamari.cluster.version.scale.changes", "instance count changes the autoscaler made to the pool-version since this dispatcher leads"),
            Map.entry("katamari.cluster.capacity.exhausted", "1 when some instances fit nowhere or an autoscaled pool-version wants more than fits"),
            Map.entry("katamari.hazelcast.members", "members of the Hazelcast cluster (the dispatchers) as this dispatcher sees it"),
            Map.entry("katamari.hazelcast.cluster.safe", "1 when every Hazelcast partition has its backups in sync"),
            Map.entry("katamari.hazelcast.clients", "Hazelcast clients (workers, gateways) connected to this dispatcher"),
            Map.entry("katamari.hazelcast.cp.enabled", "1 when the CP Subsystem runs with CP members, 0 in unsafe mode (one box)"),
            Map.entry("katamari.hazelcast.cp.local.member", "1 when this dispatcher is a CP member"),
            Map.entry("katamari.hazelcast.cp.members", "CP members; NaN when the CP group does not answer"),
            Map.entry("katamari.hazelcast.cp.groups", "CP groups (METADATA and default); NaN when the CP group does not answer"),
            Map.entry("katamari.hazelcast.map.entries", "entries of a metadata replicated map in this dispatcher's copy"));

    private void gauge(Map<String, Double> now, String name, Tags tags, double value) {
        String key = name + tags;
        now.put(key, value);
        if (registered.add(key)) {
            Gauge.builder(name, () -> values.getOrDefault(key, Double.NaN)).description(HELP.getOrDefault(name, name))
                    .tags(tags).register(registry);
        }
    }

    private static double number(Object o) {
        return o instanceof Number n ? n.doubleValue() : o instanceof Boolean b ? (b ? 1 : 0) : Double.NaN;
    }

    private static String snake(String camel) {
        return camel.replaceAll("([a-z])([A-Z])", "$1.$2").toLowerCase();
    }
}
