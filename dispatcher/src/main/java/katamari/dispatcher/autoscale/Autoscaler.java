package katamari.dispatcher.autoscale;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import katamari.cluster.GatewayBeat;
import katamari.cluster.PoolVersion;
import katamari.cluster.ScaleChange;
import katamari.cluster.WorkerBeat;
import katamari.config.Autoscale;
import katamari.dispatcher.autoscale.ScalePolicy.Decision;
import katamari.dispatcher.autoscale.ScalePolicy.Memory;
import katamari.dispatcher.autoscale.ScalePolicy.Reading;

/**
 * The master's autoscaler: every tick it turns the workers' and gateways' heartbeats into a {@link Reading} per
 * autoscaled pool-version (the busy share averaged over the last {@link #WINDOW}, the requests waiting now) and asks
 * {@link ScalePolicy} what to do. It holds only what a new master can do without: the recent readings and since when
 * the load has been high or low. The last change itself lives in the metadata ({@link PoolVersion#scaled()}), so a
 * new master's delays count from the old master's last decision. Called on the master's duties thread only; the
 * status it publishes is read by {@code /cluster} from any thread.
 */
public final class Autoscaler {
    /** Heartbeats come every second; a few of them smooth out which instant each instance happened to be busy. */
    static final Duration WINDOW = Duration.ofSeconds(3);

    /** What {@code /cluster} shows of one pool-version beyond the metadata: whether it wants more than fits. */
    public record Status(boolean capped, int changes) {}

    private record Sample(long at, double share, double busy) {}

    private final Map<String, Deque<Sample>> samples = new HashMap<>();
    private final Map<String, Memory> memory = new HashMap<>();
    private final Map<String, Integer> changes = new HashMap<>();
    private volatile Map<String, Status> status = Map.of();

    /**
     * @param workers the live, undrained workers' heartbeats
     * @param traffic {@code pool/version} → what the live gateways see of it, added up
     * @param room    {@code pool/version} → instances of it the workers can hold in all
     * @return the changes to write, by {@code pool/version}
     */
    public Map<String, ScaleChange> observe(Collection<PoolVersion> versions, Collection<WorkerBeat> workers,
                                            Map<String, GatewayBeat.Traffic> traffic, Map<String, Integer> room, long now) {
        Map<String, ScaleChange> out = new TreeMap<>();
        Map<String, Status> next = new TreeMap<>();
        for (PoolVersion p : versions) {
            Autoscale s = p.definition().autoscale();
            if (s == null || p.deleted()) {
                continue;
            }
            String key = p.key();
            int current = p.definition().instances();
            Reading r = read(key, workers, traffic.get(key), p.definition().prefetchPerInstance(), now);
            Memory m = remembered(key, p);
            Decision d = ScalePolicy.decide(s, current, room.getOrDefault(key, 0), r, m, now);
            memory.put(key, d.memory());
            if (d.changes(current)) {
                out.put(key, new ScaleChange(now, current, d.target(), d.reason()));
                samples.remove(key); // readings taken with the old count must not drive the next step
                changes.merge(key, 1, Integer::sum);
            }
            next.put(key, new Status(d.capped(), changes.getOrDefault(key, 0)));
        }
        Set<String> keep = next.keySet();
        samples.keySet().retainAll(keep);
        memory.keySet().retainAll(keep);
        status = Map.copyOf(next);
        return out;
    }

    /** {@code pool/version} → its status at the last tick (autoscaled ones only). */
    public Map<String, Status> status() {
        return status;
    }

    /** Forgets everything: a new term starts from the metadata alone. */
    public void clear() {
        samples.clear();
        memory.clear();
        changes.clear();
        status = Map.of();
    }

    /** The last change's time comes from the metadata, which outlives this master; the rest from this one's readings. */
    private Memory remembered(String key, PoolVersion p) {
        Memory m = memory.getOrDefault(key, Memory.FRESH);
        long at = p.scaled() == null ? ScalePolicy.NEVER : p.scaled().at();
        return at > m.lastChangeAt() ? new Memory(ScalePolicy.NEVER, ScalePolicy.NEVER, at) : m;
    }

    /**
     * Busy share from the workers' instance states (IDLE or BUSY count as live; STARTING and STOPPING do not). Waiting:
     * calls pending at the gateways beyond one per live instance, or the share group's lag beyond what the agents may
     * hold ({@code prefetch} per instance), whichever is larger; a client producing straight to Kafka shows only in the
     * lag, which the broker reports once the group has acknowledged a record.
     */
    private Reading read(String key, Collection<WorkerBeat> workers, GatewayBeat.Traffic traffic, int prefetch, long now) {
        int live = 0;
        int busy = 0;
        for (WorkerBeat w : workers) {
            for (WorkerBeat.Instance i : w.instances()) {
                if (i.key().equals(key) && ("IDLE".equals(i.state()) || "BUSY".equals(i.state()))) {
                    live++;
                    busy += "BUSY".equals(i.state()) ? 1 : 0;
                }
            }
        }
        Deque<Sample> window = samples.computeIfAbsent(key, k -> new ArrayDeque<>());
        if (live > 0) {
            window.addLast(new Sample(now, (double) busy / live, busy));
        }
        while (!window.isEmpty() && window.peekFirst().at() < now - WINDOW.toMillis()) {
            window.removeFirst();
        }
        double share = window.stream().mapToDouble(Sample::share).average().orElse(Double.NaN);
        double busyAvg = window.stream().mapToDouble(Sample::busy).average().orElse(0);
        long waiting = 0;
        if (traffic != null) {
            waiting = Math.max(traffic.pending() - live, traffic.queueDepth() - (long) live * prefetch);
        }
        return new Reading(share, busyAvg, Math.max(0, waiting));
    }
}
