package katamari.it.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/** Well-behaved requests sent one after another while a test injects a fault; every one of them must succeed. */
public final class Beside implements AutoCloseable {
    private final String url;
    private final AtomicInteger ok = new AtomicInteger();
    private final List<String> failures = new CopyOnWriteArrayList<>();
    private final Thread thread;
    private volatile boolean running = true;

    private Beside(String url) {
        this.url = url;
        this.thread = new Thread(this::loop, "beside");
        thread.setDaemon(true);
    }

    /** Starts sending {@code {"text": "beside-N"}} to {@code url} (an echo method). */
    public static Beside start(String url) {
        Beside b = new Beside(url);
        b.thread.start();
        return b;
    }

    private void loop() {
        int n = 0;
        while (running) {
            String text = "beside-" + n++;
            Http.Response r = Http.post(url, "{\"text\":\"" + text + "\"}");
            if (r.status() == 200 && text.equals(r.body().path("result").asText())) {
                ok.incrementAndGet();
            } else {
                failures.add(r.status() + " " + r.body());
            }
        }
    }

    /** Stops (after the request in flight) and asserts that every request succeeded and some were sent. */
    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.join(60_000);
        assertEquals(List.of(), failures, "well-behaved requests beside the fault failed");
        assertTrue(ok.get() > 0, "no well-behaved request was answered beside the fault");
    }
}
