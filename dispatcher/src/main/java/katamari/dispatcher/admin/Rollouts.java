package katamari.dispatcher.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import katamari.cluster.MetadataJson;
import katamari.config.Durations;
import katamari.dispatcher.rollout.AdminClient;
import katamari.dispatcher.rollout.Rollout;
import katamari.topics.Names;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /rollouts} and {@code GET /rollouts}: the console's rollouts, run by the dispatcher that was asked, each
 * on a thread of its own, through this dispatcher's own admin API (the same {@link Rollout} as
 * {@code bin/katamari rollout}, so a standby's writes go to the master like any client's). What it says is kept
 * for the page to watch. Like the command, a rollout lives in its process: if this dispatcher stops midway the
 * weights stay where they were (and the rollout is gone from {@code GET /rollouts}, which no other dispatcher knows).
 */
final class Rollouts implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Rollouts.class);
    /** Finished rollouts kept for the page, newest last. */
    private static final int KEPT = 20;
    private static final int LOG_LINES = 500;
    private static final Set<String> FIELDS = Set.of("pool", "version", "definition", "steps", "stepTime", "maxErrorRate", "minRequests", "keepOld");

    /** A validated {@code POST /rollouts} body. */
    record Request(String pool, String version, JsonNode definition, Rollout.Settings settings) {}

    private final class Run {
        final String id;
        final Request request;
        final long startedAt = System.currentTimeMillis();
        final List<String> log = new ArrayList<>();
        volatile String state = "running";
        volatile String message = "";
        volatile long endedAt;
        Thread thread;

        Run(String id, Request request) {
            this.id = id;
            this.request = request;
        }

        synchronized void say(String line) {
            if (log.size() < LOG_LINES) {
                log.add(line);
            }
        }

        synchronized Map<String, Object> view() {
            Map<String, Object> v = new LinkedHashMap<>();
            v.put("id", id);
            v.put("pool", request.pool());
            v.put("version", request.version());
            v.put("state", state);
            v.put("message", message);
            v.put("startedAt", startedAt);
            v.put("endedAt", endedAt == 0 ? null : endedAt);
            v.put("steps", request.settings().steps());
            v.put("stepTime", request.settings().stepTime().toMillis() + "ms");
            v.put("log", List.copyOf(log));
            return v;
        }
    }

    private final java.util.function.Supplier<String> selfUrl;
    private final String adminKey;
    private final AtomicInteger ids = new AtomicInteger();
    private final Map<String, Run> runs = new LinkedHashMap<>();

    /**
     * @param selfUrl  this dispatcher's admin URL (known once its port is bound)
     * @param adminKey the key this dispatcher's admin API wants, or null when it is open
     */
    Rollouts(java.util.function.Supplier<String> selfUrl, String adminKey) {
        this.selfUrl = selfUrl;
        this.adminKey = adminKey;
    }

    /** Starts a rollout; refused with 409 {@code rollout_running} while another one of the same pool runs here. */
    synchronized Map<String, Object> start(Request request) {
        for (Run r : runs.values()) {
            if (r.request.pool().equals(request.pool()) && r.state.equals("running")) {
                throw new AdminException(409, "rollout_running", "rollout " + r.id + " of pool '" + request.pool() + "' to "
                        + r.request.version() + " is still running on this dispatcher; wait for it to end");
            }
        }
        Run run = new Run("r" + ids.incrementAndGet() + "-" + request.pool() + "-" + request.version(), request);
        runs.put(run.id, run);
        while (runs.size() > KEPT) {
            Iterator<Run> it = runs.values().iterator();
            Run oldest = it.next();
            if (oldest.state.equals("running")) {
                break;
            }
            it.remove();
        }
        run.thread = new Thread(() -> execute(run), "rollout-" + request.pool() + "-" + request.version());
        run.thread.setDaemon(true);
        run.thread.start();
        return run.view();
    }

    synchronized List<Map<String, Object>> list() {
        return runs.values().stream().map(Run::view).toList();
    }

    private void execute(Run run) {
        Request r = run.request;
        PrintStream out = new PrintStream(new LineSink(run), true, StandardCharsets.UTF_8);
        try {
            Rollout.Result result = new Rollout(new AdminClient(selfUrl.get(), adminKey), out, r.settings()).run(r.pool(), r.version(), r.definition());
            run.message = result.message();
            run.state = result.promoted() ? "promoted" : result.message().startsWith("rolled back") ? "rolled_back" : "refused";
        } catch (InterruptedException e) {
            run.message = "stopped with this dispatcher; the weights stay where they were";
            run.state = "stopped";
        } catch (RuntimeException | Error e) {
            // an Error too: a run left "running" would refuse every later rollout of its pool (409) for good
            LOG.warn("rollout {} failed", run.id, e);
            run.message = "failed: " + e + "; the weights stay where they were";
            run.state = "failed";
        } finally {
            out.flush();
            if ("running".equals(run.state)) {
                run.state = "failed";
            }
            run.endedAt = System.currentTimeMillis();
            LOG.info("rollout {}: {} ({})", run.id, run.state, run.message);
        }
    }

    /** Each line the rollout prints becomes one entry of its log. */
    private static final class LineSink extends OutputStream {
        private final Run run;
        private final ByteArrayOutputStream line = new ByteArrayOutputStream();

        LineSink(Run run) {
            this.run = run;
        }

        @Override
        public void write(int b) {
            if (b == '\n') {
                run.say(line.toString(StandardCharsets.UTF_8));
                line.reset();
            } else {
                line.write(b);
            }
        }
    }

    /** The body of {@code POST /rollouts}, validated whole before anything starts. */
    static Request parse(String body) {
        JsonNode n;
        try {
            n = MetadataJson.mapper().readTree(body == null || body.isBlank() ? "{}" : body);
        } catch (JsonProcessingException e) {
            throw PoolInput.bad("the body is not valid JSON: " + e.getOriginalMessage());
        }
        if (!n.isObject()) {
            throw PoolInput.bad("the body must be a JSON object: {\"pool\": ..., \"version\": ..., \"steps\": [10, 25, 50, 100], \"stepTime\": \"30s\", ...}");
        }
        n.fieldNames().forEachRemaining(f -> {
            if (!FIELDS.contains(f)) {
                throw PoolInput.bad("unknown field '" + f + "'; known fields: " + new java.util.TreeSet<>(FIELDS));
            }
        });
        String pool = n.path("pool").asText(null);
        String version = n.path("version").asText(null);
        try {
            Names.requireValid("pool", pool);
            Names.requireValid("version", version);
        } catch (IllegalArgumentException e) {
            throw PoolInput.bad(e.getMessage());
        }
        JsonNode definition = n.get("definition");
        if (definition != null && !definition.isNull() && !definition.isObject()) {
            throw PoolInput.bad("'definition' must be a pool definition (a JSON object) as for PUT /pools/{pool}/{version}, or absent");
        }
        if (definition != null && definition.isObject()) {
            try {
                PoolInput.parse(pool, version, definition.toString()); // the same checks as PUT, before anything changes
            } catch (AdminException e) {
                throw PoolInput.bad("'definition': " + e.getMessage());
            }
        }
        Rollout.Settings d = Rollout.Settings.defaults();
        List<Integer> steps = d.steps();
        if (n.has("steps")) {
            steps = new ArrayList<>();
            for (JsonNode s : n.get("steps")) {
                if (!s.isInt()) {
                    throw PoolInput.bad("'steps' are whole percentages, e.g. [10, 25, 50, 100]; was " + n.get("steps"));
                }
                steps.add(s.intValue());
            }
        }
        Duration stepTime = d.stepTime();
        if (n.has("stepTime")) {
            try {
                stepTime = Durations.parse(n.get("stepTime").asText());
            } catch (IllegalArgumentException e) {
                throw PoolInput.bad("'stepTime': " + e.getMessage());
            }
            if (stepTime.isNegative() || stepTime.isZero()) {
                throw PoolInput.bad("'stepTime' must be positive, was " + n.get("stepTime"));
            }
        }
        double maxErrorRate = n.path("maxErrorRate").asDouble(d.maxErrorRate());
        if (n.has("maxErrorRate") && (!n.get("maxErrorRate").isNumber() || maxErrorRate < 0 || maxErrorRate > 1)) {
            throw PoolInput.bad("'maxErrorRate' is failures per request, 0-1 (0.01 = 1%), was " + n.get("maxErrorRate"));
        }
        long minRequests = n.path("minRequests").asLong(d.minRequests());
        if (n.has("minRequests") && (!n.get("minRequests").canConvertToLong() || !n.get("minRequests").isIntegralNumber() || minRequests < 0)) {
            throw PoolInput.bad("'minRequests' must be a whole number 0 or more, was " + n.get("minRequests"));
        }
        if (n.has("keepOld") && !n.get("keepOld").isBoolean()) {
            throw PoolInput.bad("'keepOld' must be true or false, was " + n.get("keepOld"));
        }
        Rollout.Settings settings;
        try {
            settings = new Rollout.Settings(steps, stepTime, maxErrorRate, minRequests, d.readyTimeout(), d.drainTimeout(),
                    !n.path("keepOld").asBoolean(false));
        } catch (IllegalArgumentException e) {
            throw PoolInput.bad(e.getMessage());
        }
        return new Request(pool, version, definition == null || definition.isNull() ? null : definition, settings);
    }

    /** Stops the rollouts still running (their weights stay where they were, as when the command is killed). */
    @Override
    public synchronized void close() {
        runs.values().stream().filter(r -> r.thread != null && r.thread.isAlive()).forEach(r -> r.thread.interrupt());
    }
}
