package katamari.gateway.stats;

import java.util.HashMap;
import java.util.Map;
import katamari.cluster.WorkerBeat;

/**
 * One pool-version's instances as the workers' latest heartbeats report them (so up to a heartbeat old).
 *
 * @param running   instances the workers run, whatever their state
 * @param available idle, ready to take a request
 * @param busy      handling a request
 * @param restarts  restarts after failures, summed over the instances' slots
 * @param degraded  some slot keeps failing to launch
 */
public record InstanceCounts(int running, int available, int busy, int restarts, boolean degraded) {
    static final InstanceCounts NONE = new InstanceCounts(0, 0, 0, 0, false);

    /** {@code pool/version} → counts, over every worker's heartbeat. */
    static Map<String, InstanceCounts> of(Iterable<WorkerBeat> workers) {
        Map<String, InstanceCounts> out = new HashMap<>();
        for (WorkerBeat w : workers) {
            for (WorkerBeat.Instance i : w.instances()) {
                out.merge(i.key(), new InstanceCounts(1, "IDLE".equals(i.state()) ? 1 : 0, "BUSY".equals(i.state()) ? 1 : 0,
                        i.restarts(), i.degraded()), InstanceCounts::plus);
            }
        }
        return out;
    }

    private InstanceCounts plus(InstanceCounts o) {
        return new InstanceCounts(running + o.running, available + o.available, busy + o.busy, restarts + o.restarts, degraded || o.degraded);
    }
}
