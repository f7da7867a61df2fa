package katamari.dispatcher.metadata;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.cp.IAtomicLong;
import com.hazelcast.replicatedmap.ReplicatedMap;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import katamari.cluster.ClusterMaps;
import katamari.cluster.Drain;
import katamari.cluster.Fenced;
import katamari.cluster.LeaderRecord;
import katamari.cluster.MetadataJson;
import katamari.cluster.Placement;
import katamari.cluster.PoolVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The only way a master writes metadata. The current master's fencing token lives in the CP {@code IAtomicLong}
 * {@value ClusterMaps#FENCE}, advanced by each new master above every fence before it ({@link #advance}); every write
 * names the writer's token and is refused unless that token is the current fence. A deposed master that wakes up
 * (GC pause, SIGSTOP) therefore finds a higher fence and its late write does not land; a master that cannot reach
 * the CP group to confirm its token fails closed.
 *
 * <p>The check is a linearizable CP read just before the {@code ReplicatedMap} write, which has no conditional
 * write of its own; a write racing the very moment of takeover can still slip through. Two more guards cover that
 * window: every value carries its fence and readers never let a key go back to a lower fence, and the current
 * master re-asserts its own state every tick (see {@code master.Housekeeping}), overwriting anything it did not write.
 *
 * <p>Values of the {@link MetadataJournal#DURABLE} maps are written to the {@link MetadataJournal} before the map,
 * so they survive the loss of every dispatcher; a journal that cannot take the write fails it (nothing is half done
 * that the next tick does not redo).
 */
public final class FencedStore {
    private static final Logger LOG = LoggerFactory.getLogger(FencedStore.class);

    private final HazelcastInstance hz;
    private final Journal journal;
    private volatile IAtomicLong fence;
    private final Duration checkTimeout;
    private final AtomicLong refused = new AtomicLong();

    public FencedStore(HazelcastInstance hz, Journal journal, Duration checkTimeout) {
        this.hz = hz;
        this.journal = journal;
        this.checkTimeout = checkTimeout;
    }

    /**
     * The CP fence, looked up on first use: the lookup waits for the CP group, which a dispatcher restarted before
     * its peers cannot reach yet, and it must still start (its admin API answers, its election waits).
     */
    private IAtomicLong fence() {
        IAtomicLong f = fence;
        if (f == null) {
            f = hz.getCPSubsystem().getAtomicLong(ClusterMaps.FENCE);
            fence = f;
        }
        return f;
    }

    /**
     * For the holder of the master lock: makes a new fence current and returns it. The new fence is above the
     * lock's own fence, above the CP group's current one, and above every fence in the journal: a CP group that
     * started over (every dispatcher stopped; Hazelcast Community keeps no CP state on disk) starts its lock fences
     * at 1 again, and readers that outlived it still hold values stamped with the old, higher fences. The fence is
     * in the journal before this returns, so no write under it can be seen before it is durable.
     *
     * @throws IllegalStateException when the journal cannot be read or written: the caller must not lead
     */
    public long advance(long lockFence) {
        Journal.Snapshot saved = journal.read();
        while (true) {
            long current = fence().get();
            long next = Math.max(lockFence, Math.max(current, saved.fence()) + 1);
            if (fence().compareAndSet(current, next)) {
                journal.recordFence(next);
                readAtAdvance.set(new ReadAtAdvance(next, saved));
                return next;
            }
        }
    }

    /** The journal as {@link #advance} read it, for the term it started: nobody else writes in between. */
    private record ReadAtAdvance(long fence, Journal.Snapshot snapshot) {}

    /** Taken once: held longer it would pin the whole snapshot in memory, and a later reader must see the journal anew. */
    private final AtomicReference<ReadAtAdvance> readAtAdvance = new AtomicReference<>();

    /**
     * The journal's content for the term with {@code fence}: what {@link #advance} read when it made that fence
     * current (the restore of a fresh master set needs it right after, and a second read of the whole topic would
     * double the takeover's wait on Kafka), or a new read for any other fence. Between the advance and the
     * takeover nothing is written: no other master holds the fence, and this one writes only once it took over.
     */
    public Journal.Snapshot journalAt(long fence) {
        ReadAtAdvance r = readAtAdvance.getAndSet(null);
        return r != null && r.fence() == fence ? r.snapshot() : journal.read();
    }

    /** The current fence, as the CP group knows it; fails when it cannot be confirmed within the timeout. */
    public long currentFence() {
        try {
            return fence().getAsync().toCompletableFuture().get(checkTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new IllegalStateException("the CP group did not confirm the fence within " + checkTimeout.toMillis() + " ms");
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot read the fence: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while reading the fence", e);
        }
    }

    public void putPool(long token, PoolVersion p) {
        put(token, ClusterMaps.POOLS, p.key(), p);
    }

    public void putPlacement(long token, Placement p) {
        put(token, ClusterMaps.PLACEMENTS, p.worker(), p);
    }

    public void putDrain(long token, Drain d) {
        put(token, ClusterMaps.DRAINS, d.worker(), d);
    }

    /** The leader record; also the deposition detector: a deposed master's renewal is the write that is refused. */
    public void putLeader(long token, LeaderRecord r) {
        put(token, ClusterMaps.LEADER, ClusterMaps.LEADER_KEY, r);
    }

    /** Marks the master set as seeded: later masters take the maps as the truth instead of restoring the journal. */
    public void markSeeded(long token, String by) {
        put(token, ClusterMaps.LEADER, ClusterMaps.SEEDED_KEY, Map.of("by", by, "fence", token));
    }

    /** False until a master of this master set took over: every dispatcher had stopped, or the cluster is new. */
    public boolean seeded() {
        return map(ClusterMaps.LEADER).containsKey(ClusterMaps.SEEDED_KEY);
    }

    /** Evicts a silent worker's registration (its placement stays, emptied by the next placement). */
    public void removeWorker(long token, String worker) {
        remove(token, ClusterMaps.WORKERS, worker);
    }

    /** Forgets a gateway gone for its TTL. */
    public void removeGateway(long token, String gateway) {
        remove(token, ClusterMaps.GATEWAYS, gateway);
    }

    /** The pool map as it is now (not this process's mirror), tombstones included. */
    public Map<String, PoolVersion> pools() {
        return read(ClusterMaps.POOLS, PoolVersion.class);
    }

    public Map<String, Placement> placements() {
        return read(ClusterMaps.PLACEMENTS, Placement.class);
    }

    public Map<String, Drain> drains() {
        return read(ClusterMaps.DRAINS, Drain.class);
    }

    /**
     * The generic fenced write the typed ones above use.
     *
     * @param value a {@link Fenced} value must carry {@code token}
     */
    public void put(long token, String mapName, String key, Object value) {
        if (value instanceof Fenced f && f.fence() != token) {
            throw new IllegalArgumentException(mapName + "[" + key + "] carries fence " + f.fence() + " but is written under " + token);
        }
        String json = MetadataJson.encode(value);
        check(token, "put " + mapName + "[" + key + "]");
        if (MetadataJournal.DURABLE.contains(mapName)) {
            journal.put(mapName, key, json); // durable first: a value readers saw is never lost with the masters
        }
        map(mapName).put(key, json);
    }

    private void remove(long token, String mapName, String key) {
        check(token, "remove " + mapName + "[" + key + "]");
        map(mapName).remove(key);
    }

    /** Throws {@link StaleLeaderException} unless {@code token} is the current fence. */
    public void check(long token, String what) {
        long current;
        try {
            current = currentFence();
        } catch (IllegalStateException e) {
            refused.incrementAndGet();
            String message = what + " refused: " + e.getMessage() + "; a master that cannot confirm its token must not write";
            LOG.warn("{}", message); // logged here, where it is refused: the term may already have ended by another path
            throw new StaleLeaderException(token, message);
        }
        if (current != token) {
            refused.incrementAndGet();
            String message = what + " refused: written under fence " + token + " but the current master's fence is " + current;
            LOG.warn("{}", message);
            throw new StaleLeaderException(token, message);
        }
    }

    /** How many writes this process had refused (shown by {@code GET /cluster}). */
    public long refusedWrites() {
        return refused.get();
    }

    private <T> Map<String, T> read(String mapName, Class<T> type) {
        return MetadataJson.decodeAll(new HashMap<>(map(mapName)), mapName, type);
    }

    private ReplicatedMap<String, String> map(String name) {
        return hz.getReplicatedMap(name);
    }
}
