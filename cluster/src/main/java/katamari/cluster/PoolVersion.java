package katamari.cluster;

import katamari.config.PoolDefinition;

/**
 * One pool-version as the masters publish it.
 *
 * @param weight share of the pool's unpinned requests this version gets, relative to its siblings; 0 = only pinned
 * @param fence  the token of the master that wrote it
 * @param deleted a tombstone (see {@link Fenced#deleted()})
 */
public record PoolVersion(PoolDefinition definition, int weight, long fence, boolean deleted) implements Fenced {
    public PoolVersion {
        if (definition == null) {
            throw new IllegalArgumentException("a pool version needs its definition");
        }
        if (weight < 0 || weight > 1_000_000) {
            throw new IllegalArgumentException("pool " + definition.key() + ": weight must be 0-1000000, was " + weight);
        }
    }

    public PoolVersion(PoolDefinition definition, int weight, long fence) {
        this(definition, weight, fence, false);
    }

    public String key() {
        return definition.key();
    }

    public PoolVersion withFence(long newFence) {
        return new PoolVersion(definition, weight, newFence, deleted);
    }

    public PoolVersion tombstone(long newFence) {
        return new PoolVersion(definition, weight, newFence, true);
    }
}
