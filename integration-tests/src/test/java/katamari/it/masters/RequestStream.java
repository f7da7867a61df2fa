package katamari.it.masters;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import katamari.it.support.Http;

/**
 * A steady stream of echo requests through a gateway, from a few sequential callers; every answer is checked.
 * Bounded: it stops when closed or after {@code limit}, whichever comes first.
 */
final class RequestStream implements AutoCloseable {
    private final String url;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicLong ok = new AtomicLong();
    private final List<String> failures = new CopyOnWriteArrayList<>();
    private final List<Thread> callers = new java.util.ArrayList<>();

    RequestStream(String url, int callers, Duration limit) {
        this.url = url;
        long until = System.nanoTime() + limit.toNanos();
        for (int c = 0; c < callers; c++) {
            int caller = c;
            Thread t = new Thread(() -> run(caller, until), "request-stream-" + c);
            t.setDaemon(true);
            this.callers.add(t);
        }
    }

    RequestStream start() {
        callers.forEach(Thread::start);
        return this;
    }

    private void run(int caller, long until) {
        long n = 0;
        while (running.get() && System.nanoTime() < until) {
            String text = "c" + caller + "-" + n++;
            try {
                Http.Response r = Http.post(url, "{\"text\":\"" + text + "\"}");
                if (r.status() == 200 && text.equals(r.body().path("result").asText())) {
                    ok.incrementAndGet();
                } else {
                    failures.add(System.currentTimeMillis() + " " + text + ": HTTP " + r.status() + " " + r.body());
                }
            } catch (RuntimeException e) {
                failures.add(System.currentTimeMillis() + " " + text + ": " + e);
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    long answered() {
        return ok.get();
    }

    /** The failures so far (the first few, and how many in all). */
    List<String> failures() {
        List<String> all = List.copyOf(failures);
        if (all.size() <= 5) {
            return all;
        }
        List<String> some = new java.util.ArrayList<>(all.subList(0, 5));
        some.add("... " + all.size() + " failures in all");
        return some;
    }

    @Override
    public void close() {
        running.set(false);
        for (Thread t : callers) {
            try {
                t.join(35_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
