package katamari.dispatcher.admin;

import java.util.List;
import java.util.Map;
import katamari.cluster.PoolVersion;

/** What the admin API needs from its dispatcher. Reads are answered locally by any dispatcher; writes by the master. */
public interface AdminBackend {
    boolean isLeader();

    /** The master's admin URL, or null while nobody leads. */
    String leaderAdminUrl();

    /** This dispatcher's own admin URL (for the forwarding header). */
    String selfAdminUrl();

    List<PoolVersion> pools();

    Map<String, Object> clusterView();

    /** Master only: stores a pool-version (topics first) and returns it as stored. */
    PoolVersion upsert(PoolVersion requested);

    /**
     * Master only: sets the routing weights of some versions of one pool (the others keep theirs) and returns the
     * pool's versions as stored.
     */
    List<PoolVersion> setWeights(String pool, Map<String, Integer> weights);

    /** Master only: drains a worker (nothing placed on it; in-flight requests finish) or undrains it. */
    katamari.cluster.Drain drain(String worker, boolean draining);

    /** The newest dead letters of the pool-versions that exist, newest first (any dispatcher reads them from Kafka). */
    List<katamari.dispatcher.deadletters.DeadLetterTail.DeadLetter> deadLetters(int limit);

    /** Master only: deletes one version, or every version when {@code version} is null; returns the keys removed. */
    List<String> delete(String pool, String version);
}
