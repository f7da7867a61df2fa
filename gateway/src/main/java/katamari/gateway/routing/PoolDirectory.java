package katamari.gateway.routing;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import katamari.cluster.PoolVersion;
import katamari.cluster.ScaleChange;
import katamari.config.PoolDefinition;

/**
 * Which pool-versions exist, as this gateway knows them: an immutable snapshot, replaced whole when the masters'
 * pool set changes ({@link ClusterPools}), so a request never waits on the network.
 *
 * <p>An unpinned request goes to one of its pool's versions in proportion to their weights (weight 0: only pinned
 * requests). Without a route key the pick is random; with one it is a hash of the key placed on the versions'
 * cumulative weights, so the same key lands on the same version for as long as the weights stay, on every gateway
 * (versions are ordered by name everywhere). Raising one version's share moves keys only towards it.
 *
 * <p>Built from the config file alone (no cluster), each version routes by its {@code weight} (default 1).
 */
public final class PoolDirectory {
    /**
     * One version of a pool as routing sees it.
     *
     * @param scaled the autoscaler's last change of its instance count (from the metadata), or null
     */
    public record Version(PoolDefinition definition, int weight, ScaleChange scaled) {
        public String name() {
            return definition.version();
        }
    }

    private volatile Map<String, List<Version>> byPool;

    public PoolDirectory(List<PoolDefinition> pools) {
        byPool = freeze(pools.stream().map(p -> new Version(p, p.routingWeight(), null)).toList());
    }

    public static PoolDirectory empty() {
        return new PoolDirectory(List.of());
    }

    /** Replaces the whole snapshot (called by the cluster listener). */
    public void replace(Collection<PoolVersion> versions) {
        byPool = freeze(versions.stream().map(v -> new Version(v.definition(), v.weight(), v.scaled())).toList());
    }

    /**
     * @param pinnedVersion a version the client asked for, or null
     * @param routeKey      makes an unpinned pick sticky; null picks at random
     * @return empty when the pool, or the pinned version, does not exist, or when every version has weight 0
     */
    public Optional<PoolDefinition> route(String pool, String pinnedVersion, String routeKey) {
        List<Version> versions = byPool.getOrDefault(pool, List.of());
        if (pinnedVersion != null) {
            return versions.stream().filter(v -> v.name().equals(pinnedVersion)).findFirst().map(Version::definition);
        }
        long total = versions.stream().mapToLong(Version::weight).sum();
        if (total <= 0) {
            return Optional.empty();
        }
        // a point in [0, total): uniform at random, or fixed by the key's hash as a fraction of the total
        double point = routeKey == null ? ThreadLocalRandom.current().nextDouble() * total : fraction(routeKey) * total;
        long cumulative = 0;
        for (Version v : versions) {
            cumulative += v.weight();
            if (point < cumulative) {
                return Optional.of(v.definition());
            }
        }
        return versions.stream().filter(v -> v.weight() > 0).reduce((a, b) -> b).map(Version::definition); // rounding at the top
    }

    /** @see #route(String, String, String) */
    public Optional<PoolDefinition> route(String pool, String pinnedVersion) {
        return route(pool, pinnedVersion, null);
    }

    /** Every pool with its versions (ordered by name) and their weights. */
    public Map<String, List<Version>> pools() {
        return byPool;
    }

    public boolean exists(String pool) {
        return byPool.containsKey(pool);
    }

    /** FNV-1a (64 bit) of the key's UTF-8 bytes, as a fraction in [0, 1): stable across gateways and restarts. */
    static double fraction(String key) {
        long h = 0xcbf29ce484222325L;
        for (byte b : key.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        h ^= h >>> 33; // FNV's low bits mix poorly for short keys; fold the high ones in
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        return (h >>> 11) * 0x1.0p-53;
    }

    private static Map<String, List<Version>> freeze(List<Version> versions) {
        Map<String, List<Version>> m = new TreeMap<>();
        for (Version v : versions) {
            m.computeIfAbsent(v.definition().name(), k -> new ArrayList<>()).add(v);
        }
        Map<String, List<Version>> out = new LinkedHashMap<>();
        m.forEach((pool, list) -> {
            list.sort(Comparator.comparing(Version::name));
            out.put(pool, List.copyOf(list));
        });
        return Collections.unmodifiableMap(out);
    }
}
