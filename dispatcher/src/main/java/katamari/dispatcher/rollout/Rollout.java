package katamari.dispatcher.rollout;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import katamari.topics.WireCodec;

/**
 * A rolling upgrade of one pool to a new version, through the admin API (Armstrong's way: move traffic off the old,
 * onto the new, and back if it goes wrong):
 *
 * <ol>
 *   <li>deploy the new version at weight 0 (its definition given, or the heaviest old version's) and wait until all
 *       its instances are available;</li>
 *   <li>shift the weight in steps (10%, 25%, 50%, 100% by default), each held for a while, watching the new
 *       version's failures ({@code handler_error}, {@code instance_crashed}, {@code timeout}, {@code internal}, as the
 *       live gateways count them); over the threshold, roll back: old weights restored, the new version drained
 *       (no call pending at any gateway) and deleted;</li>
 *   <li>at 100%, drain the old versions (weight 0, wait until no call to them is pending) and delete them.</li>
 * </ol>
 *
 * Requests never fail because of the rollout itself: a version takes traffic only once its instances are up, and is
 * deleted only once nothing waits for it. Calls pinned to a retired version get {@code pool_not_found} afterwards.
 */
public final class Rollout {
    /**
     * @param steps        percentages of unpinned traffic for the new version, ending at 100
     * @param stepTime     how long each step is held and watched
     * @param maxErrorRate failures / requests of the new version above which it is rolled back (0.01 = 1%)
     * @param minRequests  a step's failures are judged once the new version got at least this many requests in it
     * @param readyTimeout longest wait for the new version's instances
     * @param drainTimeout longest wait for a version's pending calls before it is deleted anyway
     * @param retireOld    delete the old versions once drained (else they stay at weight 0, for pinned calls)
     */
    public record Settings(List<Integer> steps, Duration stepTime, double maxErrorRate, long minRequests, Duration readyTimeout,
                           Duration drainTimeout, boolean retireOld) {
        public Settings {
            if (steps.isEmpty() || steps.get(steps.size() - 1) != 100 || steps.stream().anyMatch(p -> p < 1 || p > 100)) {
                throw new IllegalArgumentException("steps are percentages 1-100 ending at 100, were " + steps);
            }
            for (int i = 1; i < steps.size(); i++) {
                if (steps.get(i) <= steps.get(i - 1)) {
                    throw new IllegalArgumentException("steps must grow, were " + steps);
                }
            }
        }

        public static Settings defaults() {
            return new Settings(List.of(10, 25, 50, 100), Duration.ofSeconds(30), 0.01, 20, Duration.ofMinutes(2),
                    Duration.ofMinutes(1), true);
        }
    }

    /** How it ended: promoted, or rolled back (or refused before anything changed) with the reason. */
    public record Result(boolean promoted, String message) {}

    /** A version's traffic as the live gateways report it (cumulative). */
    private record Traffic(long requests, long failures, int pending) {}

    private static final Duration POLL = Duration.ofMillis(250);
    /** Gateways report traffic every second: a count read now may be this old. */
    private static final Duration REPORT_LAG = Duration.ofMillis(2500);

    private final AdminClient admin;
    private final PrintStream out;
    private final Settings settings;

    public Rollout(AdminClient admin, PrintStream out, Settings settings) {
        this.admin = admin;
        this.out = out;
        this.settings = settings;
    }

    /** @param definition the new version's pool definition as for {@code PUT /pools/{pool}/{version}}, or null to copy the old one */
    public Result run(String pool, String version, JsonNode definition) throws InterruptedException {
        AdminClient.Reply current = admin.call("GET", "/pools/" + pool, null);
        if (!current.ok()) {
            return new Result(false, "cannot read pool " + pool + ": " + current.error());
        }
        Map<String, Integer> before = new LinkedHashMap<>();
        JsonNode heaviest = null;
        for (JsonNode v : current.body().path("versions")) {
            before.put(v.path("version").asText(), v.path("weight").asInt());
            if (heaviest == null || v.path("weight").asInt() > heaviest.path("weight").asInt()) {
                heaviest = v;
            }
        }
        if (before.containsKey(version)) {
            return new Result(false, pool + "/" + version + " already exists; a rollout deploys a new version");
        }
        Map<String, Integer> old = new LinkedHashMap<>();
        before.forEach((v, w) -> {
            if (w > 0) {
                old.put(v, w);
            }
        });
        if (old.isEmpty()) {
            return new Result(false, "no version of " + pool + " takes unpinned traffic; set a weight first");
        }
        ObjectNode body = (ObjectNode) (definition != null ? definition.deepCopy() : heaviest.deepCopy());
        body.remove(List.of("name", "version", "fence"));
        body.put("weight", 0);
        AdminClient.Reply put = admin.call("PUT", "/pools/" + pool + "/" + version, json(body));
        if (!put.ok()) {
            return new Result(false, "deploying " + pool + "/" + version + " failed: " + put.error());
        }
        int instances = put.body().path("instances").asInt(1);
        say("deployed %s/%s (%d instance(s), weight 0); old: %s", pool, version, instances, old);
        if (!until(settings.readyTimeout(), () -> entry(pool, version).path("available").asInt() >= instances)) {
            return rollBack(pool, version, before, "its instances were not all available within " + settings.readyTimeout().toSeconds() + " s");
        }
        say("%s/%s: %d instance(s) available", pool, version, instances);
        for (int percent : settings.steps()) {
            Map<String, Integer> weights = weights(old, version, percent);
            AdminClient.Reply patched = admin.call("PATCH", "/pools/" + pool, json(Map.of("weights", weights)));
            if (!patched.ok()) {
                return rollBack(pool, version, before, "setting weights " + weights + " failed: " + patched.error());
            }
            Traffic start = traffic(pool, version);
            String verdict = watch(pool, version, start);
            Traffic end = traffic(pool, version);
            long requests = end.requests() - start.requests();
            long failures = end.failures() - start.failures();
            say("step %d%% %s: %d failure(s) in %d request(s) of %s", percent, weights, failures, requests, version);
            if (verdict != null) {
                return rollBack(pool, version, before, verdict);
            }
            if (requests < settings.minRequests()) {
                say("  (fewer than %d requests: too few to judge this step)", settings.minRequests());
            }
        }
        if (settings.retireOld()) {
            for (String v : old.keySet()) {
                drain(pool, v);
                AdminClient.Reply deleted = admin.call("DELETE", "/pools/" + pool + "/" + v, null);
                say("retired %s/%s%s", pool, v, deleted.ok() ? "" : ": " + deleted.error());
            }
        }
        return new Result(true, pool + "/" + version + " takes all unpinned traffic" + (settings.retireOld() ? "; retired " + old.keySet() : ""));
    }

    /** Holds a step for {@code stepTime}; returns why to roll back, or null. */
    private String watch(String pool, String version, Traffic start) throws InterruptedException {
        long until = System.nanoTime() + settings.stepTime().toNanos();
        do {
            Thread.sleep(POLL.toMillis());
            Traffic now = traffic(pool, version);
            long requests = now.requests() - start.requests();
            long failures = now.failures() - start.failures();
            if (requests >= settings.minRequests() && failures > settings.maxErrorRate() * requests) {
                return String.format("%d failure(s) in %d request(s) (%.1f%%) of %s, over the %.1f%% allowed", failures, requests,
                        100.0 * failures / requests, version, 100 * settings.maxErrorRate());
            }
        } while (System.nanoTime() < until);
        return null;
    }

    /** Old weights back, the new version drained and deleted. */
    private Result rollBack(String pool, String version, Map<String, Integer> before, String why) throws InterruptedException {
        say("rolling back %s/%s: %s", pool, version, why);
        Map<String, Integer> weights = new LinkedHashMap<>(before);
        weights.put(version, 0);
        AdminClient.Reply restored = admin.call("PATCH", "/pools/" + pool, json(Map.of("weights", weights)));
        if (!restored.ok()) {
            say("restoring weights %s failed: %s", before, restored.error());
        }
        drain(pool, version);
        AdminClient.Reply deleted = admin.call("DELETE", "/pools/" + pool + "/" + version, null);
        say("rolled back: weights %s restored, %s/%s %s", before, pool, version, deleted.ok() ? "deleted" : "not deleted: " + deleted.error());
        return new Result(false, "rolled back: " + why);
    }

    /** Waits until no gateway reports a call pending for the version (which now gets no unpinned traffic). */
    private void drain(String pool, String version) throws InterruptedException {
        Thread.sleep(REPORT_LAG.toMillis()); // the weight change reached the gateways, and their reports since then are fresh
        boolean drained = until(settings.drainTimeout(), () -> traffic(pool, version).pending() == 0);
        if (!drained) {
            say("%s/%s still had calls pending after %d s; deleting it anyway", pool, version, settings.drainTimeout().toSeconds());
        }
    }

    /** Percent of the weight to the new version, the rest shared among the old ones as they shared it (in per mille). */
    static Map<String, Integer> weights(Map<String, Integer> old, String version, int percent) {
        int total = old.values().stream().mapToInt(Integer::intValue).sum();
        Map<String, Integer> w = new LinkedHashMap<>();
        old.forEach((v, weight) -> w.put(v, percent == 100 ? 0 : Math.max(1, Math.round((float) weight * (1000 - percent * 10) / total))));
        w.put(version, percent * 10);
        return w;
    }

    private Traffic traffic(String pool, String version) {
        JsonNode e = entry(pool, version);
        return new Traffic(e.path("requests").asLong(), e.path("failures").asLong(), e.path("pending").asInt());
    }

    /** The version's entry in {@code GET /cluster} (missing node if absent). */
    private JsonNode entry(String pool, String version) {
        AdminClient.Reply c = admin.call("GET", "/cluster", null);
        for (JsonNode v : c.body().path("pools").path(pool)) {
            if (v.path("version").asText().equals(version)) {
                return v;
            }
        }
        return WireCodec.mapper().missingNode();
    }

    private boolean until(Duration atMost, java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + atMost.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(POLL.toMillis());
        }
        return true;
    }

    private void say(String format, Object... args) {
        out.printf("[rollout] " + format + "%n", args);
    }

    private static String json(Object value) {
        try {
            return WireCodec.mapper().writeValueAsString(value);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
