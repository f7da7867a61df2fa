package katamari.gateway.calls;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import katamari.gateway.GatewayException;
import katamari.topics.ErrorCode;

/**
 * A bound on the requests this gateway keeps waiting for replies, per pool-version. Past it a call is refused at
 * once ({@code overloaded}, 503 with Retry-After) rather than queued without bound; every admitted call is released
 * by whichever completes its answer (reply, timeout or send failure), so a pending count can never leak.
 */
public final class Backpressure {
    /** Seconds a refused client is asked to wait: about one round of the slowest replies draining. */
    public static final int RETRY_AFTER_SECONDS = 1;

    private final int max;
    private final Map<String, AtomicInteger> pending = new ConcurrentHashMap<>();

    public Backpressure(int maxPendingPerVersion) {
        this.max = maxPendingPerVersion;
    }

    /** A place among a pool-version's pending calls; {@link #release()} is idempotent. */
    public final class Permit {
        private final AtomicInteger count;
        private final AtomicBoolean released = new AtomicBoolean();

        private Permit(AtomicInteger count) {
            this.count = count;
        }

        public void release() {
            if (released.compareAndSet(false, true)) {
                count.decrementAndGet();
            }
        }
    }

    /** @throws GatewayException {@code overloaded} when {@code key} already has the most pending calls allowed */
    public Permit admit(String key) {
        AtomicInteger count = pending.computeIfAbsent(key, k -> new AtomicInteger());
        if (count.incrementAndGet() > max) {
            count.decrementAndGet();
            throw new GatewayException(ErrorCode.OVERLOADED, key + " already has " + max
                    + " requests waiting at this gateway (gateway.maxPending); retry in " + RETRY_AFTER_SECONDS + " s");
        }
        return new Permit(count);
    }

    /** Calls of {@code key} waiting for a reply right now. */
    public int pending(String key) {
        AtomicInteger count = pending.get(key);
        return count == null ? 0 : Math.max(0, count.get());
    }

    public int max() {
        return max;
    }
}
