package katamari.worker.cancel;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * What this agent knows of cancelled requests: the ids it heard on {@code katamari.cancels} lately, the running calls
 * a cancel stops (pools with {@code cancelRunning}), and how many records each pool-version left unrun or unanswered
 * because of a cancel.
 *
 * <p>Memory is bounded twice: an id is forgotten {@link #rememberFor} after its cancel (the longest any request it
 * could name still waits: see {@link #rememberFor}), and past {@link #MAX_IDS} ids the oldest are forgotten first.
 * A forgotten cancel costs only the work it would have saved.
 *
 * <p>A cancel and a call that begins race without a lock: the cancel writes its id and then looks for the call, the
 * call registers and then looks for the id (both through concurrent maps), so at least one of them sees the other.
 */
public final class Cancels {
    /** About 10 MB at most of ids and their expiry; a cluster that cancels more within the memory time forgets the oldest early. */
    public static final int MAX_IDS = 100_000;
    /** The least time an id is remembered: longer than a gateway's timeout (30 s by default) many times over. */
    public static final Duration MIN_MEMORY = Duration.ofMinutes(5);

    /** Where a cancelled record was when its cancel took effect. */
    public enum Stage {
        /** not started: acknowledged, never written to an instance */
        WAITING,
        /** started: stopped (cancelRunning) or run to its end, its answer dropped */
        RUNNING
    }

    private final LongSupplier nanoClock;
    /** Cancelled ids and when each is forgotten (System.nanoTime). */
    private final Map<String, Long> until = new ConcurrentHashMap<>();
    /** The same ids, oldest cancel first; guarded by itself. */
    private final ArrayDeque<String> order = new ArrayDeque<>();
    private final Map<String, Runnable> stoppable = new ConcurrentHashMap<>();
    private final Map<String, LongAdder[]> counts = new ConcurrentHashMap<>();
    private final AtomicLong heard = new AtomicLong();
    private volatile long memoryNanos = MIN_MEMORY.toNanos();

    public Cancels() {
        this(System::nanoTime);
    }

    /** @param nanoClock a monotonic clock in nanoseconds (a seam: tests move time) */
    public Cancels(LongSupplier nanoClock) {
        this.nanoClock = nanoClock;
    }

    /**
     * Sets how long an id is remembered: the longest pool timeout the agent runs (a request without a deadline of its
     * own waits at most that long), at least {@link #MIN_MEMORY} (a gateway's calls wait at most its timeout). A
     * request whose own deadline is later than that (possible only straight through Kafka) may outlive its cancel.
     */
    public void rememberFor(Duration longestTimeout) {
        memoryNanos = Math.max(MIN_MEMORY.toNanos(), longestTimeout.toNanos());
    }

    /** Heard on the cancel topic: {@code id} must not run; if a call of it is running and may be stopped, it is stopped now. */
    public void cancel(String id) {
        heard.incrementAndGet();
        long now = nanoClock.getAsLong();
        synchronized (order) {
            forgetOld(now);
            if (until.put(id, now + memoryNanos) == null) {
                order.addLast(id);
            }
        }
        Runnable stop = stoppable.remove(id);
        if (stop != null) {
            stop.run();
        }
    }

    /** Whether {@code id} (null: a request without one, never cancelled) was cancelled and is still remembered. */
    public boolean isCancelled(String id) {
        if (id == null || until.isEmpty()) {
            return false; // the hot path: nearly always nothing is cancelled
        }
        Long forgetAt = until.get(id);
        return forgetAt != null && forgetAt - nanoClock.getAsLong() > 0;
    }

    /**
     * A call of {@code id} that may be stopped has started: a cancel of it runs {@code stop} (once). If {@code id} is
     * cancelled already, {@code stop} runs now. Pair with {@link #finished}.
     */
    public void whileRunning(String id, Runnable stop) {
        stoppable.put(id, stop);
        if (isCancelled(id) && stoppable.remove(id, stop)) {
            stop.run();
        }
    }

    /** The call that registered {@code stop} for {@code id} ended; a later cancel of {@code id} stops nothing. */
    public void finished(String id, Runnable stop) {
        stoppable.remove(id, stop);
    }

    /** Counts a record of {@code poolKey} that a cancel kept from running ({@link Stage#WAITING}) or from being answered. */
    public void counted(String poolKey, Stage stage) {
        counts.computeIfAbsent(poolKey, k -> new LongAdder[] {new LongAdder(), new LongAdder()})[stage.ordinal()].increment();
    }

    /** Per pool-version key ({@code pool/version}) and stage: records a cancel took effect on, since the agent started. */
    public Map<String, Map<Stage, Long>> counts() {
        Map<String, Map<Stage, Long>> out = new TreeMap<>();
        counts.forEach((key, c) -> out.put(key, Map.of(Stage.WAITING, c[0].sum(), Stage.RUNNING, c[1].sum())));
        return out;
    }

    /** How many cancel records this agent has read (for any request, here or elsewhere). */
    public long heard() {
        return heard.get();
    }

    /** Lock on {@link #order} held: drops ids past their memory time, and the oldest while there are too many. */
    private void forgetOld(long now) {
        for (String oldest = order.peekFirst(); oldest != null; oldest = order.peekFirst()) {
            Long forgetAt = until.get(oldest);
            if (forgetAt != null && forgetAt - now > 0 && until.size() < MAX_IDS) {
                return; // a cancel heard again later keeps its place but not its age: it is forgotten no earlier than due
            }
            order.pollFirst();
            until.remove(oldest);
        }
    }
}
