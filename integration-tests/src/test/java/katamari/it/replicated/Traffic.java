package katamari.it.replicated;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import katamari.topics.WireCodec;
import org.awaitility.Awaitility;

/**
 * Steady load on a cluster the way its users make it: closed-loop HTTP callers, each alternating between the
 * gateways, every call with {@code Katamari-Timeout-Ms}, a call its gateway could not answer (refused, or cut off
 * when the gateway died) retried once on the other gateway. It counts what a fault test asserts on: sent, answered
 * right, answered wrong, errors by code, and never answered (no HTTP answer from either gateway), plus answers per
 * second, for the throughput before a fault and after its heal.
 *
 * <p>Some callers ask for a sleep instead of an echo: a record held longer than half its share-group lock has its
 * lock renewed by its agent, and renewals are what a broker's death broke (issue 14: the renewal's second poll threw
 * and the feeder died for good). An echo alone is answered long before any renewal.
 */
final class Traffic implements AutoCloseable {
    private static final int SECONDS = 1200;

    private final List<String> gateways;
    private final int timeoutMs;
    private final int sleepers;
    private final int sleepMs;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong right = new AtomicLong();
    private final AtomicLong never = new AtomicLong();
    private final AtomicLong retried = new AtomicLong();
    private final Map<String, AtomicLong> errors = new ConcurrentHashMap<>();
    private final List<String> wrong = new CopyOnWriteArrayList<>();
    private final List<String> notes = new CopyOnWriteArrayList<>();
    /** Right answers per second since the start. */
    private final AtomicLongArray perSecond = new AtomicLongArray(SECONDS);
    private final long startNanos = System.nanoTime();
    private final List<Thread> callers = new ArrayList<>();
    private long lastRightNanos = System.nanoTime();
    private long longestGapNanos;

    /** What happened to every request sent so far. */
    record Tally(long sent, long right, long wrong, Map<String, Long> errors, long neverAnswered, long retried) {
        long errorCount() {
            return errors.values().stream().mapToLong(Long::longValue).sum();
        }

        @Override
        public String toString() {
            return "sent " + sent + ", right " + right + ", wrong " + wrong + ", errors " + errors + ", never answered " + neverAnswered
                    + ", retried on the other gateway " + retried;
        }
    }

    /**
     * @param sleepers how many of the callers ask the echo pool's {@code sleep} for {@code sleepMs} instead of an echo
     */
    Traffic(List<String> gatewayUrls, int callers, int timeoutMs, int sleepers, int sleepMs) {
        if (sleepers >= callers) {
            throw new IllegalArgumentException("at least one caller echoes, for the rate: " + sleepers + " sleepers of " + callers);
        }
        this.gateways = List.copyOf(gatewayUrls);
        this.timeoutMs = timeoutMs;
        this.sleepers = sleepers;
        this.sleepMs = sleepMs;
        for (int c = 0; c < callers; c++) {
            int caller = c;
            Thread t = new Thread(() -> run(caller), "traffic-" + c);
            t.setDaemon(true);
            this.callers.add(t);
        }
    }

    Traffic start() {
        callers.forEach(Thread::start);
        return this;
    }

    private void run(int caller) {
        for (long n = 0; running.get(); n++) {
            boolean sleeps = caller < sleepers;
            String text = sleeps ? null : "c" + caller + "-" + n;
            String expected = sleeps ? "slept " + sleepMs + " ms" : text;
            int first = (int) ((caller + n) % gateways.size());
            sent.incrementAndGet();
            try {
                HttpResponse<String> r;
                try {
                    r = call(gateways.get(first), text);
                } catch (IOException gatewayGone) {
                    // refused (the gateway is down) or cut off mid-call (it died holding the request): either way
                    // no answer can come from it; echo is idempotent, so the caller asks the other gateway once
                    retried.incrementAndGet();
                    r = call(gateways.get((first + 1) % gateways.size()), text);
                }
                judge(expected, r);
            } catch (IOException e) {
                never.incrementAndGet();
                notes.add(System.currentTimeMillis() + " " + expected + ": " + e);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** An echo of {@code text}, or when it is null a sleep of {@link #sleepMs}. */
    private HttpResponse<String> call(String gateway, String text) throws IOException, InterruptedException {
        String method = text == null ? "sleep" : "echo";
        String body = text == null ? "{\"ms\":" + sleepMs + "}" : "{\"text\":\"" + text + "\"}";
        HttpRequest request = HttpRequest.newBuilder(URI.create(gateway + "/pools/echo/" + method))
                .timeout(Duration.ofMillis(timeoutMs + 10_000))
                .header("content-type", "application/json")
                .header("Katamari-Timeout-Ms", String.valueOf(timeoutMs))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }

    private void judge(String expected, HttpResponse<String> r) {
        JsonNode body;
        try {
            body = WireCodec.mapper().readTree(r.body());
        } catch (IOException | RuntimeException e) {
            wrong.add(expected + ": HTTP " + r.statusCode() + " unparseable " + r.body());
            return;
        }
        if (r.statusCode() == 200) {
            if (expected.equals(body.path("result").asText())) {
                right.incrementAndGet();
                answeredNow();
                int second = (int) ((System.nanoTime() - startNanos) / 1_000_000_000L);
                if (second < SECONDS) {
                    perSecond.incrementAndGet(second);
                }
            } else {
                wrong.add(expected + ": " + r.body());
            }
            return;
        }
        String code = body.path("error").path("code").asText("HTTP " + r.statusCode());
        errors.computeIfAbsent(code, k -> new AtomicLong()).incrementAndGet();
        notes.add(System.currentTimeMillis() + " " + expected + ": HTTP " + r.statusCode() + " " + r.body());
    }

    private synchronized void answeredNow() {
        long now = System.nanoTime();
        longestGapNanos = Math.max(longestGapNanos, now - lastRightNanos);
        lastRightNanos = now;
    }

    /** From now on, {@link #longestGapMs()} measures the longest time without a right answer. */
    synchronized void watchGaps() {
        lastRightNanos = System.nanoTime();
        longestGapNanos = 0;
    }

    /** The longest time without a right answer since {@link #watchGaps()}, counting the one going on now. */
    synchronized long longestGapMs() {
        return Math.max(longestGapNanos, System.nanoTime() - lastRightNanos) / 1_000_000;
    }

    /** Seconds since the load began. */
    double elapsedSeconds() {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    Tally tally() {
        Map<String, Long> byCode = new TreeMap<>();
        errors.forEach((code, n) -> byCode.put(code, n.get()));
        return new Tally(sent.get(), right.get(), wrong.size(), byCode, never.get(), retried.get());
    }

    /** Right answers per second over the last {@code seconds} full seconds. */
    double rate(int seconds) {
        int now = (int) ((System.nanoTime() - startNanos) / 1_000_000_000L);
        long sum = 0;
        for (int s = Math.max(0, now - seconds); s < now; s++) {
            sum += perSecond.get(Math.min(s, SECONDS - 1));
        }
        return (double) sum / Math.max(1, Math.min(seconds, now));
    }

    /**
     * Waits until the rate over 3 s is at least {@code share} of {@code baseline}, at most {@code within}.
     *
     * @return how long it took, in milliseconds
     */
    long awaitRate(double share, double baseline, Duration within) {
        long t0 = System.nanoTime();
        Awaitility.await("throughput back to " + Math.round(share * 100) + " % of " + Math.round(baseline) + "/s")
                .atMost(within).pollInterval(Duration.ofMillis(250))
                .until(() -> rate(3) >= share * baseline);
        return (System.nanoTime() - t0) / 1_000_000;
    }

    /** The first few error answers and never-answered requests, for a failure message. */
    List<String> notes() {
        List<String> all = new ArrayList<>(notes);
        all.addAll(wrong);
        return all.size() <= 8 ? all : all.subList(0, 8);
    }

    @Override
    public void close() {
        running.set(false);
        for (Thread t : callers) {
            try {
                t.join(timeoutMs + 15_000L);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
