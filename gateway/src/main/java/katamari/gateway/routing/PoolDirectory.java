package katamari.gateway.routing;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import katamari.config.PoolDefinition;

/**
 * Which pool-versions exist, as this gateway knows them. Until the masters publish pool metadata this is the
 * configured pool list; an unpinned request goes to the first configured version of its pool.
 */
public final class PoolDirectory {
    private final Map<String, List<PoolDefinition>> byPool = new LinkedHashMap<>();

    public PoolDirectory(List<PoolDefinition> pools) {
        for (PoolDefinition p : pools) {
            byPool.computeIfAbsent(p.name(), k -> new java.util.ArrayList<>()).add(p);
        }
    }

    /** @param pinnedVersion a version the client asked for, or null */
    public Optional<PoolDefinition> route(String pool, String pinnedVersion) {
        List<PoolDefinition> versions = byPool.getOrDefault(pool, List.of());
        if (pinnedVersion == null) {
            return versions.stream().findFirst();
        }
        return versions.stream().filter(v -> v.version().equals(pinnedVersion)).findFirst();
    }

    public Map<String, List<String>> versionsByPool() {
        Map<String, List<String>> out = new LinkedHashMap<>();
        byPool.forEach((pool, versions) -> out.put(pool, versions.stream().map(PoolDefinition::version).toList()));
        return out;
    }
}
