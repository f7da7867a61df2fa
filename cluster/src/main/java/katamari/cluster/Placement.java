package katamari.cluster;

import java.util.Map;
import java.util.TreeMap;

/**
 * What the master wants one worker to run.
 *
 * @param instances {@code pool/version} → how many instances of it this worker runs
 */
public record Placement(String worker, Map<String, Integer> instances, long fence) implements Fenced {
    public Placement {
        instances = instances == null ? Map.of() : Map.copyOf(new TreeMap<>(instances));
    }

    public int total() {
        return instances.values().stream().mapToInt(Integer::intValue).sum();
    }

    /** Same instances, whatever the fence. */
    public boolean sameAs(Placement other) {
        return other != null && instances.equals(other.instances);
    }
}
