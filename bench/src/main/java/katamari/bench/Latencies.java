package katamari.bench;

import java.util.Arrays;

/** Recorded latencies of one run, in nanoseconds, with the percentiles a report needs. */
final class Latencies {
    private final long[] nanos;
    private int n;

    Latencies(int capacity) {
        nanos = new long[capacity];
    }

    synchronized void add(long ns) {
        if (n < nanos.length) {
            nanos[n++] = ns;
        }
    }

    synchronized int count() {
        return n;
    }

    /** @param p in [0, 100] */
    synchronized double percentileMs(double p) {
        if (n == 0) {
            return Double.NaN;
        }
        long[] sorted = Arrays.copyOf(nanos, n);
        Arrays.sort(sorted);
        int i = (int) Math.min(n - 1, Math.max(0, Math.ceil(p / 100.0 * n) - 1));
        return sorted[i] / 1e6;
    }
}
