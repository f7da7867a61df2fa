package katamari.worker.intake;

import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.clients.consumer.AcknowledgeType;

/**
 * One slot's memory of the majority requests it has started a copy of, so that the copies of one request run on
 * distinct instances (docs/design.md, "Majority requests"). A slot skips a waiting copy whose sibling it ran, and the
 * copy waits for another slot of this agent. When every slot of the agent has skipped it, it cannot run here on an
 * instance of its own: on its first delivery it is given back to the broker (RELEASE), for another agent's
 * instances; on a later one it runs on the slot that finds it, because each give-back spends one of the record's
 * deliveries, which bound its retries after crashes, and a copy that runs beside a sibling is still an answer.
 *
 * <p>Guarded by the intake's lock: only {@link PoolIntake}'s claim reads or writes it. It remembers the last
 * {@value #REMEMBERED} requests, far more than can be in flight on one instance's behalf while their copies wait.
 */
final class Siblings {
    private static final int REMEMBERED = 1024;

    private final Map<String, Boolean> started = new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > REMEMBERED;
        }
    };

    /** Whether this slot may claim {@code w} now; a copy it must skip is marked as declined by it. */
    boolean mayClaim(Work w, int agentSlots) {
        return w.copyOf == null || !started.containsKey(w.copyOf) || w.declinedBy(this) >= agentSlots;
    }

    /**
     * For a record this slot claimed: remembers a copy, and gives back one that no slot here may run if it can still
     * go to another agent. @return false when {@code w} was given back (completed RELEASE), so the slot must not run it
     */
    boolean keep(Work w) {
        if (w.copyOf == null) {
            return true;
        }
        if (started.containsKey(w.copyOf) && w.firstDelivery()) {
            w.complete(AcknowledgeType.RELEASE);
            return false;
        }
        started.put(w.copyOf, Boolean.TRUE);
        return true;
    }
}
