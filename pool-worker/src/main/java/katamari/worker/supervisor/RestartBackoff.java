package katamari.worker.supervisor;

import java.time.Duration;

/**
 * Exponential restart backoff: the first restart after a healthy run is immediate, then 100 ms, 200 ms, ...
 * up to a ceiling. An instance that stayed up for {@code healthyAfter} resets the count. Owned (written) by
 * one slot; others may read the count.
 */
public final class RestartBackoff {
    private static final long BASE_MS = 100;

    private final Duration max;
    private final Duration healthyAfter;
    /** written by the owning slot, read by status() from other threads */
    private volatile int failures;

    public RestartBackoff(Duration max, Duration healthyAfter) {
        this.max = max;
        this.healthyAfter = healthyAfter;
    }

    /** Records a failure of an instance that had been up for {@code uptime}. */
    public void failed(Duration uptime) {
        failures = uptime.compareTo(healthyAfter) >= 0 ? 1 : failures + 1;
    }

    public int consecutiveFailures() {
        return failures;
    }

    public Duration nextDelay() {
        if (failures <= 1) {
            return Duration.ZERO;
        }
        long ms = BASE_MS << Math.min(failures - 2, 20);
        return ms >= max.toMillis() ? max : Duration.ofMillis(ms);
    }
}
