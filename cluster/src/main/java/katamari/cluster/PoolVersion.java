package katamari.cluster;

import com.fasterxml.jackson.annotation.JsonInclude;
import katamari.config.PoolDefinition;

/**
 * One pool-version as the masters publish it.
 *
 * @param weight share of the pool's unpinned requests this version gets, relative to its siblings; 0 = only pinned
 * @param fence  the token of the master that wrote it
 * @param deleted a tombstone (see {@link Fenced#deleted()})
 * @param scaled  the autoscaler's last change of {@code definition.instances}, null if it never changed it
 */
public record PoolVersion(PoolDefinition definition, int weight, long fence, boolean deleted,
                          @JsonInclude(JsonInclude.Include.NON_NULL) ScaleChange scaled) implements Fenced {
    public PoolVersion {
        if (definition == null) {
            throw new IllegalArgumentException("a pool version needs its definition");
        }
        if (weight < 0 || weight > 1_000_000) {
            throw new IllegalArgumentException("pool " + definition.key() + ": weight must be 0-1000000, was " + weight);
        }
    }

    public PoolVersion(PoolDefinition definition, int weight, long fence, boolean deleted) {
        this(definition, weight, fence, deleted, null);
    }

    public PoolVersion(PoolDefinition definition, int weight, long fence) {
        this(definition, weight, fence, false);
    }

    public String key() {
        return definition.key();
    }

    public PoolVersion withFence(long newFence) {
        return new PoolVersion(definition, weight, newFence, deleted, scaled);
    }

    public PoolVersion withWeight(int newWeight, long newFence) {
        return new PoolVersion(definition, newWeight, newFence, deleted, scaled);
    }

    /** The autoscaler's change: the new count in the definition, and the change itself beside it. */
    public PoolVersion scaledTo(ScaleChange change, long newFence) {
        return new PoolVersion(definition.withInstances(change.to()), weight, newFence, deleted, change);
    }

    public PoolVersion tombstone(long newFence) {
        return new PoolVersion(definition, weight, newFence, true, scaled);
    }
}
