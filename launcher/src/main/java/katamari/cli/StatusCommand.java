package katamari.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.Callable;
import katamari.dispatcher.rollout.AdminClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bin/katamari status}: the cluster at a glance in a terminal, from the admin API's {@code GET /cluster}
 * (any dispatcher answers from its replicated copy). Rates come from two readings of the gateways' counters.
 */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = "The cluster at a glance: the master, workers and their instances, pools and their versions, rates and errors.")
final class StatusCommand implements Callable<Integer> {
    /** Exit code when the cluster cannot be read (unreachable, or the key is refused). */
    static final int UNREACHABLE = 3;

    @Option(names = "--admin", defaultValue = "http://127.0.0.1:8090", description = "a dispatcher's admin API (default ${DEFAULT-VALUE}, dev's)")
    String admin;

    @Option(names = "--watch", description = "redraw every --interval until Ctrl-C")
    boolean watch;

    @Option(names = "--interval", defaultValue = "2s", converter = DurationOption.class,
            description = "between readings, e.g. 500ms, 2s (default ${DEFAULT-VALUE}); rates are measured over it")
    Duration interval;

    /** The config file's duration syntax ({@code 500ms}, {@code 2s}) for a flag. */
    static final class DurationOption implements picocli.CommandLine.ITypeConverter<Duration> {
        @Override
        public Duration convert(String text) {
            return katamari.config.Durations.parse(text);
        }
    }

    @Override
    public Integer call() throws InterruptedException {
        // the key from the environment, as every other role takes it; never from a flag (it would show in ps)
        AdminClient client = new AdminClient(admin, System.getenv("KATAMARI_CLUSTER_ADMIN_KEY"));
        PrintStream out = System.out;
        JsonNode before;
        try {
            before = read(client);
            do {
                Thread.sleep(interval.toMillis());
                JsonNode now = read(client);
                if (watch) {
                    out.print("\033[H\033[2J"); // clear the terminal: a redrawn picture, not a scrolling log
                }
                out.print(render(now, before, interval));
                out.flush();
                before = now;
            } while (watch);
        } catch (IllegalStateException e) {
            System.err.println("katamari status: " + e.getMessage());
            return UNREACHABLE;
        }
        return 0;
    }

    private JsonNode read(AdminClient client) {
        AdminClient.Reply r;
        try {
            r = client.call("GET", "/cluster", null);
        } catch (IllegalStateException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            throw new IllegalStateException("the admin API at " + admin + " is unreachable (" + cause
                    + "): is a dispatcher running there? (--admin URL)", e);
        }
        if (r.status() == 401 || r.status() == 403) {
            throw new IllegalStateException("the admin API at " + admin + " refused the key (HTTP " + r.status()
                    + "): set KATAMARI_CLUSTER_ADMIN_KEY to the cluster's admin key");
        }
        if (r.status() != 200) {
            throw new IllegalStateException("the admin API at " + admin + " answered HTTP " + r.status() + ": " + r.body());
        }
        return r.body();
    }

    /** The picture of {@code now}; request and failure rates per second since {@code before}. */
    static String render(JsonNode now, JsonNode before, Duration over) {
        StringBuilder b = new StringBuilder();
        JsonNode leader = now.path("leader");
        b.append(leader.isMissingNode() || leader.isNull() ? "master: none (an election is under way; traffic flows)\n"
                : "master: " + leader.path("address").asText() + " (fence " + leader.path("fence").asLong() + ")\n");
        b.append("masters:");
        for (JsonNode m : now.path("masters")) {
            b.append("  ").append(m.path("address").asText())
                    .append(m.path("leader").asBoolean() ? " leader" : m.path("healthy").asBoolean() ? " standby" : " DOWN");
        }
        b.append("\n\n");
        b.append(String.format("%-16s %-16s %8s %9s %5s %5s %8s %-8s %s%n", "WORKER", "HOST", "CAPACITY", "INSTANCES", "IDLE", "BUSY",
                "STOPPING", "HEALTH", "DRAINED"));
        for (JsonNode w : now.path("workers")) {
            b.append(String.format("%-16s %-16s %8d %9d %5d %5d %8d %-8s %s%n", w.path("id").asText(), w.path("host").asText(),
                    w.path("capacity").asInt(), w.path("instances").asInt(), w.path("available").asInt(), w.path("inUse").asInt(),
                    w.path("stopping").asInt(), w.path("healthy").asBoolean(true) ? "ok" : "UNHEALTHY", w.path("draining").asBoolean() ? "yes" : ""));
            JsonNode unhealthy = w.path("unhealthy");
            for (Iterator<Map.Entry<String, JsonNode>> it = unhealthy.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                b.append("    ").append(e.getKey()).append(": ").append(e.getValue().asText()).append('\n');
            }
        }
        b.append('\n');
        b.append(String.format("%-24s %6s %5s %4s %5s %5s %8s %8s %8s %8s %7s%n", "POOL/VERSION", "WEIGHT", "WANT", "RUN", "IDLE", "BUSY",
                "UNPLACED", "RESTARTS", "REQ/S", "ERR/S", "PENDING"));
        for (Iterator<Map.Entry<String, JsonNode>> pools = now.path("pools").fields(); pools.hasNext(); ) {
            Map.Entry<String, JsonNode> pool = pools.next();
            for (JsonNode v : pool.getValue()) {
                JsonNode was = version(before, pool.getKey(), v.path("version").asText());
                b.append(String.format("%-24s %6d %5d %4d %5d %5d %8d %8d %8.1f %8.1f %7d%s%n", pool.getKey() + "/" + v.path("version").asText(),
                        v.path("weight").asInt(), v.path("instances").asInt(), v.path("running").asInt(), v.path("available").asInt(),
                        v.path("inUse").asInt(), v.path("unplaced").asInt(), v.path("restarts").asInt(),
                        rate(v, was, "requests", over), rate(v, was, "failures", over), v.path("pending").asInt(),
                        v.path("degraded").asBoolean() ? "  DEGRADED" : ""));
            }
        }
        return b.toString();
    }

    private static JsonNode version(JsonNode cluster, String pool, String version) {
        for (JsonNode v : cluster.path("pools").path(pool)) {
            if (v.path("version").asText().equals(version)) {
                return v;
            }
        }
        return null;
    }

    /** Per second over {@code over}; a counter that went down (a gateway restarted) counts from zero. */
    private static double rate(JsonNode now, JsonNode before, String field, Duration over) {
        long n = now.path(field).asLong();
        long was = before == null ? n : before.path(field).asLong();
        long delta = n >= was ? n - was : n;
        return delta * 1000.0 / Math.max(1, over.toMillis());
    }
}
