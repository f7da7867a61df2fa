package katamari.gateway.stats;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.core.instrument.distribution.ValueAtPercentile;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.Supplier;
import katamari.cluster.GatewayBeat;
import katamari.cluster.ResponseCache;
import katamari.cluster.WorkerBeat;
import katamari.config.KafkaSettings;
import katamari.gateway.calls.Backpressure;
import katamari.gateway.routing.PoolDirectory;
import katamari.topics.ErrorCode;

/**
 * What this gateway saw, per pool-version: calls and their outcomes (by error code), requests per second, latency
 * percentiles, calls pending; plus what the cluster says about instances (from the workers' heartbeats) and queue
 * depth (from the share groups' lag). {@link #view} is {@code GET /stats}; {@link #prometheus()} is
 * {@code GET /metrics}, both read from the same Micrometer meters.
 *
 * <p>Error codes from chassis are free strings on the wire; they are counted under their known code
 * ({@code handler_error} for anything unknown) so that a chassis cannot grow the number of meters without bound,
 * and only pool-versions the gateway routes to get meters.
 */
public final class GatewayStats implements AutoCloseable {
    private static final String OK = "ok";

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Map<String, VersionMeters> meters = new ConcurrentHashMap<>();
    private final PoolDirectory directory;
    private final Backpressure backpressure;
    private final Supplier<Map<String, WorkerBeat>> workers;
    private final QueueDepths queues;
    private final String gatewayId;
    private final long startNanos = System.nanoTime();
    private volatile Map<String, InstanceCounts> instances = Map.of();
    private volatile Map<String, Long> depths = Map.of();
    private final ResponseCache cache;
    /** Entries of each caching pool-version's cache map, as last counted (-1 unknown). */
    private volatile Map<String, Long> cacheEntries = Map.of();
    /**
     * Counts cache entries off the request thread: a count asks the members, and while they cannot be reached a
     * client's call waits up to its invocation timeout (10 s), longer than a scrape may take.
     */
    private final java.util.concurrent.ExecutorService entryCounter = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "gateway-cache-entries");
        t.setDaemon(true);
        return t;
    });
    private final java.util.concurrent.atomic.AtomicReference<java.util.concurrent.Future<?>> counting = new java.util.concurrent.atomic.AtomicReference<>();
    static final Duration COUNT_WAIT = Duration.ofMillis(500);
    /** Reads queue depths for the heartbeat off its thread: an Admin call may take up to 1.5 s when a broker is slow. */
    private final java.util.concurrent.ExecutorService depthReader = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "gateway-queue-depths");
        t.setDaemon(true);
        return t;
    });
    private final java.util.concurrent.atomic.AtomicBoolean depthReading = new java.util.concurrent.atomic.AtomicBoolean();

    /**
     * @param workers the workers' heartbeats, or null without a cluster (instances are then unknown)
     * @param cache   the response cache, or null without a cluster (nothing is cached)
     */
    public GatewayStats(String gatewayId, PoolDirectory directory, Backpressure backpressure, Supplier<Map<String, WorkerBeat>> workers,
                        KafkaSettings kafka, ResponseCache cache) {
        this.gatewayId = gatewayId;
        this.cache = cache;
        this.directory = directory;
        this.backpressure = backpressure;
        this.workers = workers;
        this.queues = new QueueDepths(kafka);
        registry.config().commonTags("gateway", gatewayId);
        // two of Micrometer's processor meters break Prometheus naming (promtool: "process_cpu_time_ns_total", a unit
        // abbreviated; "system_cpu_count", a _count suffix on a gauge); process_cpu_usage and system_cpu_usage stay
        registry.config().meterFilter(MeterFilter.deny(id -> id.getName().equals("process.cpu.time") || id.getName().equals("system.cpu.count")));
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
    }

    private final class VersionMeters {
        final String pool;
        final String version;
        final Timer latency;
        final Map<String, Counter> outcomes = new ConcurrentHashMap<>();
        final RateWindow rate = new RateWindow();
        final Counter hedgesSent;
        final Counter hedgesWon;
        /** Cancels this gateway published, by why (a {@code DELETE}, a client gone, a losing hedge copy). */
        final Map<String, Counter> cancels = new ConcurrentHashMap<>();
        final Counter quorumCalls;
        final Counter quorumAgreed;
        final Counter quorumFailed;
        final Counter cacheHits;
        final Counter cacheMisses;

        VersionMeters(String pool, String version) {
            this.pool = pool;
            this.version = version;
            String key = pool + "/" + version;
            Tags tags = Tags.of("pool", pool, "version", version);
            hedgesSent = Counter.builder("katamari.gateway.hedges.sent")
                    .description("second copies of a call sent because no reply had come after the hedge delay").tags(tags).register(registry);
            hedgesWon = Counter.builder("katamari.gateway.hedges.won")
                    .description("hedged calls whose second copy answered first").tags(tags).register(registry);
            quorumCalls = Counter.builder("katamari.gateway.quorum.calls")
                    .description("majority requests (Katamari-Quorum above 1) sent as several copies").tags(tags).register(registry);
            quorumAgreed = Counter.builder("katamari.gateway.quorum.agreed")
                    .description("majority requests answered by a majority of equal answers").tags(tags).register(registry);
            quorumFailed = Counter.builder("katamari.gateway.quorum.no_quorum")
                    .description("majority requests answered no_quorum: no majority of equal answers was possible").tags(tags).register(registry);
            cacheHits = Counter.builder("katamari.gateway.cache.hits")
                    .description("calls this gateway answered from the response cache").tags(tags).register(registry);
            cacheMisses = Counter.builder("katamari.gateway.cache.misses")
                    .description("calls of a cached method the response cache had no fresh answer for (published)").tags(tags).register(registry);
            if (cache != null) {
                Gauge.builder("katamari.cache.entries", () -> cacheEntries.getOrDefault(key, 0L) < 0 ? Double.NaN : cacheEntries.getOrDefault(key, 0L))
                        .description("answers in the pool-version's response cache map, cluster-wide (NaN: unknown)").tags(tags).register(registry);
            }
            latency = Timer.builder("katamari.gateway.latency").description("time from publishing a request to its answer")
                    .tags(tags).publishPercentiles(0.5, 0.99).distributionStatisticExpiry(Duration.ofMinutes(1))
                    .distributionStatisticBufferLength(3).register(registry);
            Gauge.builder("katamari.gateway.pending", () -> backpressure.pending(key))
                    .description("calls waiting for a reply at this gateway").tags(tags).register(registry);
            if (workers != null) {
                Gauge.builder("katamari.instances.available", () -> counts(key).available())
                        .description("instances idle and ready for a request, from the workers' heartbeats").tags(tags).register(registry);
                Gauge.builder("katamari.instances.busy", () -> counts(key).busy())
                        .description("instances running a request, from the workers' heartbeats").tags(tags).register(registry);
                Gauge.builder("katamari.instances.running", () -> counts(key).running())
                        .description("instances alive (idle, busy or restarting), from the workers' heartbeats").tags(tags).register(registry);
                Gauge.builder("katamari.instances.restarts", () -> counts(key).restarts())
                        .description("restarts of the pool-version's instances since their workers started").tags(tags).register(registry);
            }
            Gauge.builder("katamari.queue.depth", () -> depths.getOrDefault(key, -1L) < 0 ? Double.NaN : depths.get(key))
                    .description("records of the request topic not yet acknowledged by the share group (NaN: unknown)")
                    .tags(tags).register(registry);
        }

        void count(String outcome) {
            outcomes.computeIfAbsent(outcome, o -> Counter.builder("katamari.gateway.calls")
                    .description("calls by outcome: ok or an error code").tags("pool", pool, "version", version, "outcome", o)
                    .register(registry)).increment();
            rate.add();
        }
    }

    private VersionMeters meters(String pool, String version) {
        return meters.computeIfAbsent(pool + "/" + version, k -> new VersionMeters(pool, version));
    }

    private InstanceCounts counts(String key) {
        return instances.getOrDefault(key, InstanceCounts.NONE);
    }

    /** A call answered by a pool (or timed out waiting): {@code errorCode} null means success. */
    public void answered(String pool, String version, String errorCode, long nanos) {
        VersionMeters m = meters(pool, version);
        m.latency.record(nanos, TimeUnit.NANOSECONDS);
        m.count(errorCode == null ? OK : ErrorCode.fromWire(errorCode).orElse(ErrorCode.HANDLER_ERROR).wire());
    }

    /** A hedge copy of a call to {@code pool/version} went out. */
    public void hedgeSent(String pool, String version) {
        meters(pool, version).hedgesSent.increment();
    }

    /** A hedge copy answered its call before the first copy did. */
    public void hedgeWon(String pool, String version) {
        meters(pool, version).hedgesWon.increment();
    }

    /**
     * A call to {@code pool/version} (or its losing hedge copy) was cancelled by this gateway; {@code why} is one of
     * {@code deleted}, {@code disconnected}, {@code hedge_lost}.
     */
    public void cancelled(String pool, String version, String why) {
        VersionMeters m = meters(pool, version);
        m.cancels.computeIfAbsent(why, w -> Counter.builder("katamari.gateway.cancels")
                .description("cancels published by this gateway, by why: deleted (DELETE /requests/{id}), disconnected (the HTTP client left), hedge_lost (the losing copy of a hedged call)")
                .tags("pool", pool, "version", version, "why", w).register(registry)).increment();
    }

    /** A majority request of several copies went out to {@code pool/version}. */
    public void quorumSent(String pool, String version) {
        meters(pool, version).quorumCalls.increment();
    }

    /** A majority request ended: a majority agreed, or {@code no_quorum} (a timeout is neither). */
    public void quorumEnded(String pool, String version, boolean agreed) {
        VersionMeters m = meters(pool, version);
        (agreed ? m.quorumAgreed : m.quorumFailed).increment();
    }

    /** A call answered from the response cache. */
    public void cacheHit(String pool, String version) {
        meters(pool, version).cacheHits.increment();
    }

    /** A call of a cached method that the response cache had no fresh answer for. */
    public void cacheMiss(String pool, String version) {
        meters(pool, version).cacheMisses.increment();
    }

    /** A call the gateway refused after routing it (e.g. {@code overloaded}). */
    public void refused(String pool, String version, ErrorCode code) {
        meters(pool, version).count(code.wire());
    }

    /** Refreshes what comes from outside the gateway (heartbeats, share-group lag), for a view or a scrape. */
    private void refresh() {
        if (workers != null) {
            instances = InstanceCounts.of(workers.get().values());
        }
        depths = queues.depths(routedKeys());
        if (cache != null) {
            countCacheEntries();
        }
    }

    /**
     * A fresh count, waited for up to {@link #COUNT_WAIT}; past that the view shows the last count, and no second
     * count starts while one is still out.
     */
    private void countCacheEntries() {
        java.util.concurrent.Future<?> out = counting.get();
        if (out == null || out.isDone()) {
            try {
                out = entryCounter.submit(() -> {
                    Map<String, Long> entries = new TreeMap<>();
                    directory.pools().values().forEach(versions -> versions.stream().map(PoolDirectory.Version::definition)
                            .filter(d -> !d.cache().isEmpty()).forEach(d -> entries.put(d.key(), cache.entries(d))));
                    cacheEntries = entries;
                });
            } catch (java.util.concurrent.RejectedExecutionException closed) {
                return;
            }
            counting.set(out);
        }
        try {
            out.get(COUNT_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            // the last count stands; this one finishes in the background
        } catch (java.util.concurrent.ExecutionException e) {
            // entries() answers -1 rather than throw; nothing else in the count can fail
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Every pool-version the gateway routes to, each with its meters (so that a scrape shows it before any call). */
    private List<String> routedKeys() {
        List<String> keys = new ArrayList<>();
        directory.pools().forEach((pool, versions) -> versions.forEach(v -> {
            keys.add(v.definition().key());
            meters(pool, v.name());
        }));
        return keys;
    }

    /** {@code GET /stats}: every pool the caller may see, with its versions. */
    public Map<String, Object> view(Predicate<String> poolVisible) {
        refresh();
        Map<String, Object> pools = new TreeMap<>();
        directory.pools().forEach((pool, versions) -> {
            if (!poolVisible.test(pool)) {
                return;
            }
            Map<String, Object> byVersion = new LinkedHashMap<>();
            for (PoolDirectory.Version v : versions) {
                byVersion.put(v.name(), version(meters(pool, v.name()), v));
            }
            pools.put(pool, byVersion);
        });
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("gateway", gatewayId);
        out.put("uptimeSeconds", (System.nanoTime() - startNanos) / 1_000_000_000L);
        out.put("rateWindowSeconds", RateWindow.SECONDS);
        out.put("pools", pools);
        return out;
    }

    private Map<String, Object> version(VersionMeters m, PoolDirectory.Version routed) {
        String key = m.pool + "/" + m.version;
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("weight", routed.weight());
        var bounds = routed.definition().autoscale();
        if (bounds != null) { // the count the masters set now, and why they last changed it
            Map<String, Object> scaling = new LinkedHashMap<>();
            scaling.put("min", bounds.min());
            scaling.put("max", bounds.max());
            scaling.put("instances", routed.definition().instances());
            if (routed.scaled() != null) {
                scaling.put("lastChange", routed.scaled());
            }
            v.put("autoscale", scaling);
        }
        long requests = 0;
        Map<String, Long> errors = new TreeMap<>();
        for (Map.Entry<String, Counter> e : m.outcomes.entrySet()) {
            long n = (long) e.getValue().count();
            requests += n;
            if (!e.getKey().equals(OK)) {
                errors.put(e.getKey(), n);
            }
        }
        v.put("requests", requests);
        v.put("requestsPerSecond", Math.round(m.rate.perSecond() * 100) / 100.0);
        Map<String, Object> latency = new LinkedHashMap<>();
        for (ValueAtPercentile p : m.latency.takeSnapshot().percentileValues()) {
            latency.put(p.percentile() == 0.5 ? "p50" : "p99", Math.round(p.value(TimeUnit.MILLISECONDS) * 100) / 100.0);
        }
        v.put("latencyMs", latency);
        v.put("errors", errors);
        v.put("hedges", Map.of("sent", (long) m.hedgesSent.count(), "won", (long) m.hedgesWon.count()));
        Map<String, Long> cancels = new TreeMap<>();
        m.cancels.forEach((why, c) -> cancels.put(why, (long) c.count()));
        v.put("cancels", cancels);
        v.put("quorum", Map.of("calls", (long) m.quorumCalls.count(), "agreed", (long) m.quorumAgreed.count(),
                "noQuorum", (long) m.quorumFailed.count()));
        Long entries = cacheEntries.get(key);
        if (entries != null) {
            v.put("cache", Map.of("hits", (long) m.cacheHits.count(), "misses", (long) m.cacheMisses.count(), "entries", entries));
        }
        v.put("pending", backpressure.pending(key));
        v.put("maxPending", backpressure.max());
        if (workers != null) {
            InstanceCounts c = counts(key);
            v.put("instances", Map.of("running", c.running(), "available", c.available(), "busy", c.busy(),
                    "restarts", c.restarts(), "degraded", c.degraded()));
        }
        Long depth = depths.get(key);
        if (depth != null) {
            v.put("queueDepth", depth);
        }
        return v;
    }

    /** Outcomes that are the version's fault (a rollout rolls back on them), not the client's. */
    private static final java.util.Set<String> FAILURES = java.util.Set.of(ErrorCode.HANDLER_ERROR.wire(),
            ErrorCode.INSTANCE_CRASHED.wire(), ErrorCode.TIMEOUT.wire(), ErrorCode.INTERNAL.wire(), ErrorCode.NO_QUORUM.wire());

    /**
     * Per {@code pool/version}, for the gateway's heartbeat: cumulative counts, the last minute's percentiles, and the
     * queue depth as last read (a fresh reading is started in the background, so a slow broker never delays a beat).
     */
    public Map<String, GatewayBeat.Traffic> traffic() {
        if (depthReading.compareAndSet(false, true)) {
            try {
                depthReader.execute(() -> {
                    try {
                        depths = queues.depths(routedKeys());
                    } finally {
                        depthReading.set(false);
                    }
                });
            } catch (java.util.concurrent.RejectedExecutionException closed) {
                depthReading.set(false);
            }
        }
        Map<String, Long> depthNow = depths;
        Map<String, GatewayBeat.Traffic> out = new TreeMap<>();
        meters.forEach((key, m) -> {
            long requests = 0;
            long failures = 0;
            Map<String, Long> errors = new TreeMap<>();
            for (Map.Entry<String, Counter> e : m.outcomes.entrySet()) {
                long n = (long) e.getValue().count();
                requests += n;
                if (FAILURES.contains(e.getKey())) {
                    failures += n;
                }
                if (!e.getKey().equals(OK)) {
                    errors.put(e.getKey(), n);
                }
            }
            double p50 = -1;
            double p99 = -1;
            if (m.latency.count() > 0) {
                for (ValueAtPercentile p : m.latency.takeSnapshot().percentileValues()) {
                    double ms = Math.round(p.value(TimeUnit.MILLISECONDS) * 100) / 100.0;
                    if (p.percentile() == 0.5) {
                        p50 = ms;
                    } else {
                        p99 = ms;
                    }
                }
            }
            out.put(key, new GatewayBeat.Traffic(requests, failures, backpressure.pending(key), errors, p50, p99,
                    depthNow.getOrDefault(key, -1L)));
        });
        return out;
    }

    /** {@code GET /metrics}: Prometheus text format. */
    public String prometheus() {
        refresh();
        return registry.scrape();
    }

    @Override
    public void close() {
        depthReader.shutdownNow();
        entryCounter.shutdownNow();
        queues.close();
        registry.close();
    }
}
