package katamari.localcluster;

import java.nio.file.Path;
import java.util.Map;

/**
 * One role of a {@link LocalCluster} as it is now: a snapshot, since a restart gives it another pid.
 *
 * @param name  {@code broker-1}, {@code dispatcher-2}, {@code worker-1}, {@code gateway-2}, ...; a broker's number is
 *              its Kafka node id, a worker's its worker id
 * @param ports by use: {@code broker}/{@code controller}, {@code member}/{@code admin}, {@code metrics}, {@code http}
 * @param pid   the process id of its JVM now (-1 before its first start)
 * @param alive whether that process runs (a SIGSTOPped one counts as alive)
 * @param log   its output, appended across restarts
 */
public record Role(String name, RoleKind kind, Map<String, Integer> ports, long pid, boolean alive, Path log) {
    public Role {
        ports = java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(ports));
    }
}
