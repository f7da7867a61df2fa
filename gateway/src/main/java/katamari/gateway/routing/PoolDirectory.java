package katamari.gateway.routing;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import katamari.cluster.PoolVersion;
import katamari.config.PoolDefinition;

/**
 * Which pool-versions exist, as this gateway knows them: an immutable snapshot, replaced whole when the masters'
 * pool set changes ({@link ClusterPools}), so a request never waits on the network. An unpinned request goes to one
 * of its pool's versions at random in proportion to their weights (weight 0: only pinned requests).
 *
 * <p>Built from the config file alone (no cluster), the first configured version of each pool takes all unpinned
 * requests.
 */
public final class PoolDirectory {
    private record Routed(PoolDefinition definition, int weight) {}

    private volatile Map<String, List<Routed>> byPool;

    public PoolDirectory(List<PoolDefinition> pools) {
        Map<String, List<Routed>> m = new LinkedHashMap<>();
        for (PoolDefinition p : pools) {
            List<Routed> versions = m.computeIfAbsent(p.name(), k -> new ArrayList<>());
            versions.add(new Routed(p, versions.isEmpty() ? 1 : 0));
        }
        byPool = freeze(m);
    }

    public static PoolDirectory empty() {
        return new PoolDirectory(List.of());
    }

    /** Replaces the whole snapshot (called by the cluster listener). */
    public void replace(Collection<PoolVersion> versions) {
        Map<String, List<Routed>> m = new LinkedHashMap<>();
        versions.stream().sorted(Comparator.comparing(PoolVersion::key))
                .forEach(v -> m.computeIfAbsent(v.definition().name(), k -> new ArrayList<>()).add(new Routed(v.definition(), v.weight())));
        byPool = freeze(m);
    }

    /** @param pinnedVersion a version the client asked for, or null */
    public Optional<PoolDefinition> route(String pool, String pinnedVersion) {
        List<Routed> versions = byPool.getOrDefault(pool, List.of());
        if (pinnedVersion != null) {
            return versions.stream().filter(v -> v.definition().version().equals(pinnedVersion)).findFirst().map(Routed::definition);
        }
        int total = versions.stream().mapToInt(Routed::weight).sum();
        if (total <= 0) {
            return Optional.empty();
        }
        int pick = ThreadLocalRandom.current().nextInt(total);
        for (Routed v : versions) {
            pick -= v.weight();
            if (pick < 0) {
                return Optional.of(v.definition());
            }
        }
        throw new AssertionError("weights changed under a frozen snapshot");
    }

    public Map<String, List<String>> versionsByPool() {
        Map<String, List<String>> out = new LinkedHashMap<>();
        byPool.forEach((pool, versions) -> out.put(pool, versions.stream().map(v -> v.definition().version()).toList()));
        return out;
    }

    private static Map<String, List<Routed>> freeze(Map<String, List<Routed>> m) {
        Map<String, List<Routed>> out = new LinkedHashMap<>();
        m.forEach((k, v) -> out.put(k, List.copyOf(v)));
        return java.util.Collections.unmodifiableMap(out);
    }
}
