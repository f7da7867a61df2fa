package katamari.cluster;

import java.util.List;
import java.util.Map;

/**
 * A worker agent's heartbeat: who it is, how much it can run, and what its instances are doing.
 *
 * @param capacity  most instances this worker runs
 * @param refused   pool-versions it refused to run (command outside its allow-list), with the reason
 * @param unhealthy pool-versions it cannot feed right now (a share-consumer feeder down or failing repeatedly), with
 *                  why; empty while healthy. Absent in beats of older workers, which then read as healthy.
 */
public record WorkerBeat(String id, String host, int capacity, long sentAt, List<Instance> instances, Map<String, String> refused,
                         Map<String, String> unhealthy) {
    /**
     * One instance: {@code state} is the worker's InstanceStatus state (STARTING, IDLE, BUSY, ...); {@code rssKb} its
     * resident memory, -1 when unknown (no process; 0 in a beat of an older worker).
     */
    public record Instance(String instance, String pool, String version, String state, long pid, int restarts, boolean degraded,
                           long rssKb) {
        public String key() {
            return pool + "/" + version;
        }
    }

    public WorkerBeat {
        instances = instances == null ? List.of() : List.copyOf(instances);
        refused = refused == null ? Map.of() : Map.copyOf(refused);
        unhealthy = unhealthy == null ? Map.of() : Map.copyOf(unhealthy);
    }

    /** False while some pool-version placed here cannot be fed (see {@code unhealthy}). */
    public boolean healthy() {
        return unhealthy.isEmpty();
    }
}
