package katamari.it.replicated;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAccumulator;

/**
 * Closed-loop HTTP callers of echo, each alternating between the gateways, with a 5 s {@code Katamari-Timeout-Ms}:
 * counts answers, errors by code (or by status when the body has none), wrong answers, and the first answer to a
 * request sent after a given moment.
 */
final class Callers implements AutoCloseable {
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final List<String> gateways;
    private final List<Thread> threads = new ArrayList<>();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicLong answered = new AtomicLong();
    private final AtomicLong wrong = new AtomicLong();
    private final Map<String, AtomicLong> errors = new ConcurrentHashMap<>();
    /** Send time (nanos) and answer time of every answer, as (sentAt -> earliest answer) is all the gap needs. */
    private final List<long[]> answers = java.util.Collections.synchronizedList(new ArrayList<>());

    Callers(List<String> gateways, int threads) {
        this.gateways = List.copyOf(gateways);
        for (int i = 0; i < threads; i++) {
            int first = i;
            Thread t = new Thread(() -> loop(first), "caller-" + i);
            t.setDaemon(true);
            this.threads.add(t);
            t.start();
        }
    }

    private void loop(int turn) {
        while (running.get()) {
            String gateway = gateways.get(turn++ % gateways.size());
            String text = UUID.randomUUID().toString();
            long sentAt = System.nanoTime();
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(gateway + "/pools/echo/echo"))
                        .timeout(Duration.ofSeconds(10)).header("Katamari-Timeout-Ms", "5000")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"text\":\"" + text + "\"}")).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    if (r.body().contains("\"result\":\"" + text + "\"")) {
                        answered.incrementAndGet();
                        answers.add(new long[] {sentAt, System.nanoTime()});
                    } else {
                        wrong.incrementAndGet();
                    }
                } else {
                    String code = r.body().replaceAll("(?s).*\"code\":\"([^\"]+)\".*", "$1");
                    errors.computeIfAbsent(code.length() < 40 ? code : "http " + r.statusCode(), k -> new AtomicLong()).incrementAndGet();
                }
            } catch (java.io.IOException e) {
                errors.computeIfAbsent(e.getClass().getSimpleName(), k -> new AtomicLong()).incrementAndGet();
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    long answered() {
        return answered.get();
    }

    long wrong() {
        return wrong.get();
    }

    /** When the first answer to a request sent at or after {@code since} (nanos) arrived; 0 if none yet. */
    long firstAnswerSentAfter(long since) {
        LongAccumulator first = new LongAccumulator(Math::min, Long.MAX_VALUE);
        synchronized (answers) {
            answers.stream().filter(a -> a[0] >= since).forEach(a -> first.accumulate(a[1]));
        }
        return first.get() == Long.MAX_VALUE ? 0 : first.get();
    }

    @Override
    public String toString() {
        return "answered " + answered + ", wrong " + wrong + ", errors " + errors;
    }

    @Override
    public void close() throws InterruptedException {
        running.set(false);
        for (Thread t : threads) {
            t.join(15_000);
        }
    }
}
