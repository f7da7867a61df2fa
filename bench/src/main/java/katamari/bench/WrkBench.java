package katamari.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The gateway driven by {@code wrk} (Debian's HTTP load generator, not ours), as issue 16 measures it: sequential is
 * one thread on one keep-alive connection; concurrent is
 * {@code wrk -t2 -c<concurrency>}; both run for the warm-up seconds unmeasured, then the measured seconds. Each run prints requests/s, p50
 * and p99 (wrk's own histogram), the non-2xx count, and the server's CPU per request: user plus system time of the
 * process that listens on the gateway's port and of all its descendants (the dev JVM and its chassis processes), from
 * /proc, over the measured part only.
 */
final class WrkBench {
    private static final Pattern RPS = Pattern.compile("Requests/sec:\\s+([0-9.]+)");
    private static final Pattern PERCENTILE = Pattern.compile("^\\s+(50|99)(?:\\.000)?%\\s+([0-9.]+)(us|ms|s)\\s*$", Pattern.MULTILINE);
    private static final Pattern NON_2XX = Pattern.compile("Non-2xx or 3xx responses:\\s+(\\d+)");
    private static final Pattern SOCKET_ERRORS = Pattern.compile("Socket errors: connect (\\d+), read (\\d+), write (\\d+), timeout (\\d+)");
    private static final Pattern TOTAL = Pattern.compile("(\\d+) requests in");

    /**
     * One wrk run: what it printed, parsed, and the server CPU it cost; {@code jitCpuSeconds} of that CPU went to the
     * JVMs' just-in-time compilers (a large share: the server is still warming up, ServerCpu#jitSeconds).
     */
    record Result(double rps, double p50Ms, double p99Ms, long requests, long errors, double serverCpuSeconds, double jitCpuSeconds) {
        double cpuMicrosPerRequest() {
            return requests == 0 ? Double.NaN : serverCpuSeconds * 1e6 / requests;
        }

        /** The compilers' share of the server's CPU, in percent (NaN when it used none). */
        double jitPercent() {
            return serverCpuSeconds <= 0 ? Double.NaN : 100 * jitCpuSeconds / serverCpuSeconds;
        }
    }

    private final String url;
    private final long serverPid;
    private final Path script;

    /**
     * @param serverPid the gateway's process, or 0 to find the one listening on {@code url}'s port
     */
    WrkBench(String url, String body, long serverPid) throws IOException {
        this(url, serverPid, postScript(body));
    }

    private WrkBench(String url, long serverPid, String lua) throws IOException {
        ensureWrk();
        this.url = url;
        this.serverPid = serverPid > 0 ? serverPid : ServerCpu.listenerPid(port(url));
        this.script = Files.createTempFile("katamari-wrk", ".lua");
        script.toFile().deleteOnExit();
        Files.writeString(script, lua);
    }

    /**
     * Echo calls whose {@code text} no call sent before (about as long as the echo workload's): the wrk run's start
     * second, the wrk thread and a counter, so a later run (a warm-up, then the measured part) repeats none either.
     */
    static WrkBench uniqueEchoBodies(String url, long serverPid) throws IOException {
        return new WrkBench(url, serverPid, """
                wrk.method = "POST"
                wrk.headers["Content-Type"] = "application/json"
                local threads = 0
                local started = tostring(os.time())
                function setup(thread)
                  threads = threads + 1
                  thread:set("tag", started .. "-" .. threads)
                end
                function init(args)
                  n = 0
                end
                function request()
                  n = n + 1
                  return wrk.format(nil, nil, nil, '{"text":"' .. tag .. '-' .. n .. '-%s"}')
                end
                """.formatted("x".repeat(60)));
    }

    /** The concurrent figure: {@code wrk -t2 -c<concurrency>}, unmeasured for {@code warm}, then measured for {@code measure}. */
    Result concurrent(int concurrency, Duration warm, Duration measure) throws IOException, InterruptedException {
        int threads = Math.min(2, concurrency);
        if (!warm.isZero()) {
            wrk(threads, concurrency, warm.toSeconds());
        }
        return measured(() -> wrk(threads, concurrency, measure.toSeconds()));
    }

    /**
     * The sequential figure: one connection, unmeasured for {@code warm}, then measured for {@code measure}. By time,
     * not by count: a Lua script can stop wrk's threads after N responses, but wrk's main thread still waits out
     * the whole {@code -d}, and the gateway meanwhile closes the idle connection under it.
     */
    Result sequential(Duration warm, Duration measure) throws IOException, InterruptedException {
        if (!warm.isZero()) {
            wrk(1, 1, warm.toSeconds());
        }
        return measured(() -> wrk(1, 1, measure.toSeconds()));
    }

    private interface WrkRun {
        String output() throws IOException, InterruptedException;
    }

    private Result measured(WrkRun run) throws IOException, InterruptedException {
        double cpuBefore = ServerCpu.seconds(serverPid);
        double jitBefore = ServerCpu.jitSeconds(serverPid);
        String out = run.output();
        double cpu = ServerCpu.seconds(serverPid) - cpuBefore;
        return parse(out, cpu, ServerCpu.jitSeconds(serverPid) - jitBefore);
    }

    static Result parse(String out, double serverCpuSeconds, double jitCpuSeconds) {
        Matcher rps = RPS.matcher(out);
        Matcher total = TOTAL.matcher(out);
        if (!rps.find() || !total.find()) {
            throw new IllegalStateException("wrk printed no result:\n" + out);
        }
        double p50 = Double.NaN;
        double p99 = Double.NaN;
        Matcher p = PERCENTILE.matcher(out);
        while (p.find()) {
            double ms = Double.parseDouble(p.group(2)) * switch (p.group(3)) {
                case "us" -> 0.001;
                case "s" -> 1000.0;
                default -> 1.0;
            };
            if (p.group(1).equals("50")) {
                p50 = ms;
            } else {
                p99 = ms;
            }
        }
        long errors = 0;
        Matcher non2xx = NON_2XX.matcher(out);
        if (non2xx.find()) {
            errors += Long.parseLong(non2xx.group(1));
        }
        Matcher socket = SOCKET_ERRORS.matcher(out);
        if (socket.find()) {
            for (int g = 1; g <= 4; g++) {
                errors += Long.parseLong(socket.group(g));
            }
        }
        return new Result(Double.parseDouble(rps.group(1)), p50, p99, Long.parseLong(total.group(1)), errors, serverCpuSeconds, jitCpuSeconds);
    }

    /** A POST of the workload's body. */
    private static String postScript(String body) {
        return """
                wrk.method = "POST"
                wrk.body = %s
                wrk.headers["Content-Type"] = "application/json"
                """.formatted(luaString(body));
    }

    private String wrk(int threads, int connections, long seconds) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("wrk", "-t" + threads, "-c" + connections, "-d" + seconds + "s", "--latency",
                "--timeout", "10s", "-s", script.toString(), url));
        // into a file, so the wait below can time out (a read of its pipe would wait for a hung wrk for ever)
        Path output = Files.createTempFile("katamari-wrk", ".out");
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile()).start();
            boolean exited = p.waitFor(seconds + 30, TimeUnit.SECONDS);
            if (!exited) {
                p.destroyForcibly();
            }
            String out = Files.readString(output, StandardCharsets.UTF_8);
            if (!exited || p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + (exited ? " failed" : " did not end in time") + ":\n" + out);
            }
            return out;
        } finally {
            Files.deleteIfExists(output);
        }
    }

    private static String luaString(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    private static int port(String url) {
        java.net.URI u = java.net.URI.create(url);
        if (!"127.0.0.1".equals(u.getHost()) && !"localhost".equals(u.getHost())) {
            // the server's CPU is read from this machine's /proc: a remote gateway cannot be measured this way
            throw new IllegalArgumentException("the wrk modes measure a gateway on this machine (127.0.0.1), not " + u.getHost());
        }
        return u.getPort() > 0 ? u.getPort() : 80;
    }

    /** wrk from Debian, installed with apt-get when it is missing (as bin/test installs its tools). */
    private static void ensureWrk() throws IOException {
        if (onPath("wrk")) {
            return;
        }
        System.out.println("  wrk is missing: apt-get install -y wrk");
        List<String> install = onPath("sudo") && !"root".equals(System.getProperty("user.name"))
                ? List.of("sudo", "-n", "apt-get", "install", "-y", "-q", "wrk") : List.of("apt-get", "install", "-y", "-q", "wrk");
        try {
            int rc = new ProcessBuilder(install).inheritIO().start().waitFor();
            if (rc != 0 || !onPath("wrk")) {
                throw new IllegalStateException("could not install wrk (" + String.join(" ", install) + " exited " + rc
                        + "); install Debian's wrk package and run again");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while installing wrk", e);
        }
    }

    private static boolean onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }

    static String format(Result r) {
        return String.format(Locale.ROOT, "%.0f req/s p50=%.3f p99=%.3f ms errors=%d server CPU %.0f us/request (%.2f cores, JIT compilers %.0f %%)",
                r.rps(), r.p50Ms(), r.p99Ms(), r.errors(), r.cpuMicrosPerRequest(),
                r.requests() == 0 || r.rps() == 0 ? 0 : r.serverCpuSeconds() * r.rps() / r.requests(), r.jitPercent());
    }
}
