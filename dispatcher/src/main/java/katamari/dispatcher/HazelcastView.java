package katamari.dispatcher;

import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.cp.CPGroupId;
import com.hazelcast.cp.CPMember;
import com.hazelcast.cp.CPSubsystemManagementService;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import katamari.cluster.ClusterMetadata;

/**
 * The {@code hazelcast} section of {@code GET /cluster} (and its gauges in {@code /metrics}): what Management Center
 * would show of the cluster, which cannot run here. The cluster name, its members as this dispatcher sees them,
 * whether every partition is backed up, the clients connected to this member, the CP members and groups, and the
 * entries of each metadata map.
 */
final class HazelcastView {
    /** CP questions go to the METADATA group's leader: bounded, and asked at most this often (the console polls). */
    private static final Duration CP_REFRESH = Duration.ofSeconds(1);
    private static final long CP_TIMEOUT_MS = 500;

    private final HazelcastInstance hz;
    private final ClusterMetadata metadata;
    private final boolean cpEnabled;
    /** the last CP answer and when it was taken (System.nanoTime); null before the first */
    private Map<String, Object> cp;
    private long cpAt;

    HazelcastView(HazelcastInstance hz, ClusterMetadata metadata, int cpMemberCount) {
        this.hz = hz;
        this.metadata = metadata;
        this.cpEnabled = cpMemberCount > 0;
    }

    Map<String, Object> render() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("cluster", hz.getConfig().getClusterName());
        out.put("members", hz.getCluster().getMembers().stream().map(HazelcastView::address).toList());
        out.put("clusterSafe", hz.getPartitionService().isClusterSafe());
        out.put("clients", hz.getClientService().getConnectedClients().size());
        out.put("cp", cp());
        out.put("maps", metadata.mapSizes());
        return out;
    }

    private synchronized Map<String, Object> cp() {
        long now = System.nanoTime();
        if (cp != null && now - cpAt < CP_REFRESH.toNanos()) {
            return cp;
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("enabled", cpEnabled);
        if (cpEnabled) {
            CPSubsystemManagementService cps = hz.getCPSubsystem().getCPSubsystemManagementService();
            out.put("localMember", cps.getLocalCPMember() != null);
            out.put("members", ask(() -> cps.getCPMembers().toCompletableFuture().get(CP_TIMEOUT_MS, TimeUnit.MILLISECONDS)
                    .stream().map(CPMember::getAddress).map(a -> a.getHost() + ":" + a.getPort()).sorted().toList()));
            out.put("groups", ask(() -> cps.getCPGroupIds().toCompletableFuture().get(CP_TIMEOUT_MS, TimeUnit.MILLISECONDS)
                    .stream().map(CPGroupId::getName).sorted().toList()));
        } else {
            // unsafe mode (one box): no CP member, the CP structures live in the partitions
            out.put("localMember", false);
            out.put("members", List.of());
            out.put("groups", List.of());
        }
        cp = out;
        cpAt = now;
        return out;
    }

    private interface Question {
        List<String> get() throws Exception;
    }

    /** The answer, or null when the CP group does not answer in time (no CP leader: the metrics read NaN). */
    private static List<String> ask(Question q) {
        try {
            return q.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } catch (Exception e) {
            return null;
        }
    }

    private static String address(Member m) {
        return m.getAddress().getHost() + ":" + m.getAddress().getPort();
    }
}
