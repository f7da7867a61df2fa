package katamari.dispatcher.admin;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import katamari.cluster.MetadataJson;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /cluster/history}: the last {@value #POINTS} seconds of each pool-version's traffic, sampled once a second
 * from this dispatcher's own {@code /cluster} view, so the console's charts are full the moment it opens and a standby
 * (which samples its own replicated copy) draws the same curves as the master.
 *
 * <p>Why on the server and not in the browser from successive polls: a page opened during an incident would show
 * nothing of the minutes before it, and two operators' pages would draw different curves. The cost is a ring of
 * {@value #POINTS} small samples per dispatcher.
 */
final class TrafficHistory implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TrafficHistory.class);
    static final int POINTS = 300;
    static final Duration INTERVAL = Duration.ofSeconds(1);

    /** One pool-version at one instant, as {@code /cluster} said it (counts cumulative over the live gateways). */
    private record Reading(long requests, Map<String, Long> errors, double p50Ms, double p99Ms, long queueDepth, int pending,
                           int inUse, int available) {}

    private record Sample(long at, Map<String, Reading> versions) {}

    private final Supplier<Map<String, Object>> view;
    private final ArrayDeque<Sample> samples = new ArrayDeque<>(POINTS + 1);
    private final ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "admin-traffic-history");
        t.setDaemon(true);
        return t;
    });

    TrafficHistory(Supplier<Map<String, Object>> view) {
        this.view = view;
    }

    TrafficHistory start() {
        sampler.scheduleAtFixedRate(this::sample, 0, INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
        return this;
    }

    private void sample() {
        try {
            record(System.currentTimeMillis(), MetadataJson.mapper().valueToTree(view.get()));
        } catch (RuntimeException e) {
            LOG.debug("traffic sample failed (the next one will try again): {}", e.toString());
        }
    }

    /** Adds what one {@code /cluster} view says. */
    synchronized void record(long at, JsonNode cluster) {
        Map<String, Reading> versions = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> pools = cluster.path("pools").fields(); pools.hasNext(); ) {
            Map.Entry<String, JsonNode> pool = pools.next();
            for (JsonNode v : pool.getValue()) {
                Map<String, Long> errors = new TreeMap<>();
                v.path("errors").fields().forEachRemaining(e -> errors.put(e.getKey(), e.getValue().asLong()));
                versions.put(pool.getKey() + "/" + v.path("version").asText(), new Reading(v.path("requests").asLong(), errors,
                        v.path("p50Ms").asDouble(-1), v.path("p99Ms").asDouble(-1), v.path("queueDepth").asLong(-1),
                        v.path("pending").asInt(), v.path("inUse").asInt(), v.path("available").asInt()));
            }
        }
        samples.addLast(new Sample(at, versions));
        while (samples.size() > POINTS) {
            samples.removeFirst();
        }
    }

    /**
     * Per pool-version, one value per sample (null where the version did not exist or the value was unknown): requests
     * per second and errors per second by code (differences of the cumulative counts; a count that went down, a gateway
     * restarted, counts from zero), p50/p99 in ms, queue depth, calls pending, instances busy and idle.
     */
    synchronized Map<String, Object> render() {
        List<Sample> all = new ArrayList<>(samples);
        List<Long> times = all.stream().map(Sample::at).toList();
        TreeSet<String> keys = new TreeSet<>();
        all.forEach(s -> keys.addAll(s.versions().keySet()));
        Map<String, Object> versions = new LinkedHashMap<>();
        for (String key : keys) {
            TreeSet<String> codes = new TreeSet<>();
            all.forEach(s -> {
                Reading r = s.versions().get(key);
                if (r != null) {
                    codes.addAll(r.errors().keySet());
                }
            });
            List<Double> rate = new ArrayList<>();
            Map<String, List<Double>> errors = new TreeMap<>();
            codes.forEach(c -> errors.put(c, new ArrayList<>()));
            List<Double> p50 = new ArrayList<>();
            List<Double> p99 = new ArrayList<>();
            List<Long> depth = new ArrayList<>();
            List<Integer> pending = new ArrayList<>();
            List<Integer> busy = new ArrayList<>();
            List<Integer> idle = new ArrayList<>();
            for (int i = 0; i < all.size(); i++) {
                Reading now = all.get(i).versions().get(key);
                Reading was = i == 0 ? null : all.get(i - 1).versions().get(key);
                double seconds = i == 0 ? 1 : Math.max(0.001, (all.get(i).at() - all.get(i - 1).at()) / 1000.0);
                rate.add(now == null || was == null ? null : perSecond(now.requests(), was.requests(), seconds));
                for (String c : codes) {
                    errors.get(c).add(now == null || was == null ? null
                            : perSecond(now.errors().getOrDefault(c, 0L), was.errors().getOrDefault(c, 0L), seconds));
                }
                p50.add(now == null || now.p50Ms() < 0 ? null : now.p50Ms());
                p99.add(now == null || now.p99Ms() < 0 ? null : now.p99Ms());
                depth.add(now == null || now.queueDepth() < 0 ? null : now.queueDepth());
                pending.add(now == null ? null : now.pending());
                busy.add(now == null ? null : now.inUse());
                idle.add(now == null ? null : now.available());
            }
            Map<String, Object> series = new LinkedHashMap<>();
            series.put("requestsPerSecond", rate);
            series.put("errorsPerSecond", errors);
            series.put("p50Ms", p50);
            series.put("p99Ms", p99);
            series.put("queueDepth", depth);
            series.put("pending", pending);
            series.put("busy", busy);
            series.put("idle", idle);
            versions.put(key, series);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("intervalMs", INTERVAL.toMillis());
        out.put("points", POINTS);
        out.put("t", times);
        out.put("versions", versions);
        return out;
    }

    private static Double perSecond(long now, long was, double seconds) {
        long delta = now >= was ? now - was : now;
        return Math.round(delta / seconds * 100) / 100.0;
    }

    @Override
    public void close() {
        sampler.shutdownNow();
    }
}
