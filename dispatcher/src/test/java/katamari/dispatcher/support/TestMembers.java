package katamari.dispatcher.support;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import katamari.config.ClusterSettings;

/**
 * Real in-process Hazelcast members for component tests: CP subsystem in unsafe mode (CP member count 0), a random
 * cluster name so concurrent runs never join each other, bound to 127.0.0.1 only, no discovery.
 */
public final class TestMembers {
    private TestMembers() {}

    public static HazelcastInstance start() {
        Config c = new Config();
        c.setClusterName("katamari-test-" + UUID.randomUUID());
        c.getNetworkConfig().setPort(ThreadLocalRandom.current().nextInt(20_000, 40_000)).setPortAutoIncrement(true).setPortCount(200);
        c.getNetworkConfig().getInterfaces().setEnabled(true).addInterface("127.0.0.1");
        JoinConfig join = c.getNetworkConfig().getJoin();
        join.getMulticastConfig().setEnabled(false);
        join.getAutoDetectionConfig().setEnabled(false);
        join.getTcpIpConfig().setEnabled(false);
        c.setProperty("hazelcast.socket.bind.any", "false");
        c.setProperty("hazelcast.phone.home.enabled", "false");
        c.setProperty("hazelcast.logging.type", "none");
        c.setProperty("hazelcast.shutdownhook.enabled", "false");
        c.setProperty("hazelcast.wait.seconds.before.join", "0");
        c.setProperty("hazelcast.max.wait.seconds.before.join", "0");
        c.getCPSubsystemConfig().setCPMemberCount(0);
        return Hazelcast.newHazelcastInstance(c);
    }

    /** Cluster settings naming {@code hz} as the only dispatcher of the master list. */
    public static ClusterSettings settings(HazelcastInstance hz) {
        return settings(hz, null, null);
    }

    /** The same with a worker heartbeat and TTL (null: the defaults). */
    public static ClusterSettings settings(HazelcastInstance hz, Duration workerHeartbeat, Duration workerTtl) {
        var a = hz.getCluster().getLocalMember().getAddress();
        String self = a.getHost() + ":" + a.getPort();
        return new ClusterSettings(hz.getConfig().getClusterName(), a.getHost(), a.getPort(), List.of(self), 0, null, null, null, null,
                "127.0.0.1", 0, null, true, workerHeartbeat, workerTtl, 16, null);
    }
}
