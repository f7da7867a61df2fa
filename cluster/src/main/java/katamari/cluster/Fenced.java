package katamari.cluster;

/** A metadata value written by a master: {@link #fence()} is that master's fencing token. */
public interface Fenced {
    long fence();

    /**
     * A tombstone: the master deleted this key. Metadata the master owns is never removed from its map, only
     * tombstoned, so that a reader can tell a deletion from a copy that is merely empty for a moment (a member
     * merging back after a split, a client reading from a member that is still filling up).
     */
    default boolean deleted() {
        return false;
    }
}
