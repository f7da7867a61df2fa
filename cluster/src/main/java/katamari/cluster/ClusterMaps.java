package katamari.cluster;

/**
 * Names of the {@code ReplicatedMap}s that hold Katamari's metadata. Keys are strings, values are JSON strings
 * (see {@link MetadataJson}) so that Management Center, and any client in any language, can read them.
 *
 * <p>Who writes what (DESIGN.md): the master writes {@link #POOLS}, {@link #PLACEMENTS} and {@link #LEADER}, each
 * value stamped with its fencing token; workers write only their own {@link #WORKERS} entry, gateways only theirs
 * in {@link #GATEWAYS}, dispatchers only theirs in {@link #MASTERS}.
 */
public final class ClusterMaps {
    /** {@code pool/version} → {@link PoolVersion} */
    public static final String POOLS = "katamari.pools";
    /** worker id → {@link Placement} */
    public static final String PLACEMENTS = "katamari.placements";
    /** worker id → {@link Drain}: workers an operator drained; written by the master. */
    public static final String DRAINS = "katamari.drains";
    /** worker id → {@link WorkerBeat} */
    public static final String WORKERS = "katamari.workers";
    /** gateway id → {@link GatewayBeat} */
    public static final String GATEWAYS = "katamari.gateways";
    /** dispatcher address → {@link MasterBeat} */
    public static final String MASTERS = "katamari.masters";
    /** {@link #LEADER_KEY} → {@link LeaderRecord}; also holds the "seeded from YAML" marker */
    public static final String LEADER = "katamari.leader";
    public static final String LEADER_KEY = "leader";
    public static final String SEEDED_KEY = "seeded";
    /** the CP {@code FencedLock} whose holder is the master */
    public static final String MASTER_LOCK = "katamari.master";
    /** the CP {@code IAtomicLong} holding the fence of the current master; writes with a lower token are refused */
    public static final String FENCE = "katamari.fence";

    private ClusterMaps() {}
}
