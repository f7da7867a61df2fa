package katamari.cluster;

import java.net.InetAddress;
import java.net.UnknownHostException;
import com.hazelcast.client.HazelcastClient;
import com.hazelcast.client.config.ClientConfig;
import com.hazelcast.client.config.ClientConnectionStrategyConfig;
import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.config.cp.CPSubsystemConfig;
import com.hazelcast.config.cp.FencedLockConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import katamari.config.ClusterSettings;

/**
 * Hazelcast configuration from {@link ClusterSettings}, in one place. Members and clients find each other only
 * through the fixed member list (no multicast, no auto-detection) and bind only to {@code cluster.host}: Hazelcast
 * Community has no TLS or authentication, so the network they use must be private (DESIGN.md, Security).
 */
public final class HazelcastSetup {
    private HazelcastSetup() {}

    /** A dispatcher's member config: CP Subsystem sized from the settings, failure detection tuned for seconds. */
    public static Config member(ClusterSettings s) {
        Config c = new Config();
        c.setClusterName(s.name());
        c.setInstanceName("katamari-dispatcher-" + s.host() + "-" + s.port());
        NetworkConfig n = c.getNetworkConfig();
        n.setPort(s.port()).setPortAutoIncrement(false);
        // Hazelcast's interface list takes IP addresses only; a host name (a container's, dispatcher-1 in compose) is
        // bound by its address and advertised by its name, so every member and client sees the address the master
        // list names (a dispatcher finds its own priority by that string, and the election matches members by it)
        String ip = ipOf(s.host());
        n.getInterfaces().setEnabled(true).addInterface(ip);
        if (!ip.equals(s.host())) {
            n.setPublicAddress(s.host() + ":" + s.port());
        }
        JoinConfig join = n.getJoin();
        join.getMulticastConfig().setEnabled(false);
        join.getAutoDetectionConfig().setEnabled(false);
        join.getTcpIpConfig().setEnabled(true).setMembers(s.members());
        c.setProperty("hazelcast.socket.bind.any", "false");
        c.setProperty("hazelcast.phone.home.enabled", "false");
        c.setProperty("hazelcast.logging.type", "slf4j");
        c.setProperty("hazelcast.shutdownhook.enabled", "false"); // the launcher stops roles in order
        c.setProperty("hazelcast.wait.seconds.before.join", "0");
        c.setProperty("hazelcast.max.wait.seconds.before.join", "0");
        c.setProperty("hazelcast.tcp.join.port.try.count", "1");
        // a member silent this long is dropped; a dropped (or paused and resumed) member merges back quickly
        c.setProperty("hazelcast.heartbeat.interval.seconds", "1");
        c.setProperty("hazelcast.max.no.heartbeat.seconds", String.valueOf(Math.max(2, s.memberTimeout().toSeconds())));
        c.setProperty("hazelcast.merge.first.run.delay.seconds", "5");
        c.setProperty("hazelcast.merge.next.run.delay.seconds", "5");
        c.setProperty("hazelcast.client.max.no.heartbeat.seconds", String.valueOf(Math.max(2, s.memberTimeout().toSeconds())));
        CPSubsystemConfig cp = c.getCPSubsystemConfig();
        cp.setCPMemberCount(s.cpMemberCount());
        cp.setSessionTimeToLiveSeconds((int) s.sessionTtl().toSeconds());
        cp.setSessionHeartbeatIntervalSeconds((int) s.sessionHeartbeat().toSeconds());
        cp.setMissingCPMemberAutoRemovalSeconds((int) Math.max(1, s.cpMemberRemoval().toSeconds()));
        // Raft's own failure detection (default: 5 missed 5 s heartbeats) would dominate failover otherwise
        cp.getRaftAlgorithmConfig().setLeaderHeartbeatPeriodInMillis(1000).setMaxMissedLeaderHeartbeatCount(3)
                .setLeaderElectionTimeoutInMillis(1000);
        // the master lock is not reentrant: one election thread holds it once
        cp.addLockConfig(new FencedLockConfig(ClusterMaps.MASTER_LOCK, 1));
        // near caches (the gateways' copies of the response cache) hear of a changed entry at once, not in batches of
        // 100 or every 10 s: a lookup that missed must see the answer an agent stored a moment later
        c.setProperty("hazelcast.map.invalidation.batch.enabled", "false");
        return c;
    }

    private static String ipOf(String host) {
        try {
            return InetAddress.getByName(host).getHostAddress();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("cluster.host '" + host + "' does not resolve: " + e.getMessage(), e);
        }
    }

    public static HazelcastInstance startMember(ClusterSettings s) {
        HazelcastInstance hz = Hazelcast.newHazelcastInstance(member(s));
        // dynamic, not in the static config: a static pattern would win over every pool-version's own (dynamic) map
        // config, since Hazelcast looks static configs up first; among dynamic ones the exact name wins
        try {
            hz.getConfig().addMapConfig(ResponseCache.fallbackConfig());
        } catch (RuntimeException e) {
            // a dispatcher that cannot add it still leads and serves; the maps keep their own configs
            org.slf4j.LoggerFactory.getLogger(HazelcastSetup.class).warn("cannot add the response cache's fallback map config: {}", e.toString());
        }
        return hz;
    }

    /** A worker's or gateway's client config: every listed member is a way in; reconnects forever, in the background. */
    public static ClientConfig client(ClusterSettings s, String instanceName) {
        ClientConfig c = new ClientConfig();
        c.setClusterName(s.name());
        c.setInstanceName(instanceName);
        c.getNetworkConfig().setAddresses(s.members()).setSmartRouting(true).setConnectionTimeout(2000);
        c.getConnectionStrategyConfig().setReconnectMode(ClientConnectionStrategyConfig.ReconnectMode.ON)
                .getConnectionRetryConfig().setInitialBackoffMillis(200).setMaxBackoffMillis(2000).setClusterConnectTimeoutMillis(-1);
        c.setProperty("hazelcast.logging.type", "slf4j");
        c.setProperty("hazelcast.phone.home.enabled", "false");
        c.setProperty("hazelcast.shutdownhook.enabled", "false");
        c.setProperty("hazelcast.client.heartbeat.interval", "1000");
        c.setProperty("hazelcast.client.heartbeat.timeout", String.valueOf(Math.max(2000, s.memberTimeout().toMillis())));
        c.setProperty("hazelcast.client.invocation.timeout.seconds", "10");
        c.setProperty("hazelcast.client.statistics.enabled", "true"); // Management Center shows the clients
        return c;
    }

    public static HazelcastInstance startClient(ClusterSettings s, String instanceName) {
        return HazelcastClient.newHazelcastClient(client(s, instanceName));
    }

    /** A gateway's client: a worker's, plus a near cache of the response cache's maps (docs/design.md, "Response cache"). */
    public static ClientConfig gatewayClient(ClusterSettings s, String instanceName) {
        ClientConfig c = client(s, instanceName);
        c.addNearCacheConfig(ResponseCache.nearCache());
        return c;
    }

    public static HazelcastInstance startGatewayClient(ClusterSettings s, String instanceName) {
        return HazelcastClient.newHazelcastClient(gatewayClient(s, instanceName));
    }
}
