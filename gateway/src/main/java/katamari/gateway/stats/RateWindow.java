package katamari.gateway.stats;

import java.util.concurrent.atomic.AtomicLongArray;

/** Events per second over the last {@value #SECONDS} seconds: one counter per second in a ring, no locks. */
final class RateWindow {
    static final int SECONDS = 10;

    private final AtomicLongArray counts = new AtomicLongArray(SECONDS);
    private final AtomicLongArray stamps = new AtomicLongArray(SECONDS);
    private final long startNanos = System.nanoTime();

    void add() {
        long second = second();
        int slot = (int) (second % SECONDS);
        long stamp = stamps.get(slot);
        if (stamp != second && stamps.compareAndSet(slot, stamp, second)) {
            counts.set(slot, 0); // a racing add() of the same new second may be lost here; a rate tolerates that
        }
        counts.incrementAndGet(slot);
    }

    double perSecond() {
        long now = second();
        long sum = 0;
        for (int i = 0; i < SECONDS; i++) {
            if (now - stamps.get(i) < SECONDS) {
                sum += counts.get(i);
            }
        }
        // a young window divides by the seconds it has seen, not by the whole window
        return (double) sum / Math.max(1, Math.min(SECONDS, now + 1));
    }

    private long second() {
        return (System.nanoTime() - startNanos) / 1_000_000_000L;
    }
}
