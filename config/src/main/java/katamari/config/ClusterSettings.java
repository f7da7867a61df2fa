package katamari.config;

import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import java.time.Duration;
import java.util.List;

/**
 * The Hazelcast cluster the dispatchers form and the workers and gateways join as clients (DESIGN.md, Hazelcast).
 *
 * @param name             the cluster name; members and clients with another name never join (not a secret)
 * @param host             the interface this process binds and advertises; 127.0.0.1 keeps everything on this machine
 * @param port             this dispatcher's member port (workers and gateways do not listen)
 * @param members          the master list as {@code host:port}, in priority order: the first healthy one leads
 * @param cpMemberCount    0 runs the CP Subsystem in unsafe mode (one box); 3 or 5 in a cluster
 * @param sessionTtl       a CP session not heard of this long is closed and its lock freed: bounds master failover
 * @param sessionHeartbeat how often a CP session is kept alive; a few of these must fit into {@code sessionTtl}
 * @param memberTimeout    a member silent this long is dropped from the cluster (Hazelcast's max-no-heartbeat)
 * @param cpMemberRemoval  a CP member gone this long is removed so a restarted dispatcher can take its place
 * @param adminHost        interface of the dispatchers' admin API
 * @param adminPort        port of the admin API (0: any free port)
 * @param adminKey         the key admin calls must present; never logged
 * @param adminOpen        serve the admin API without a key (only for a private one-box setup; said loudly)
 * @param workerHeartbeat  how often a worker reports its capacity and instances
 * @param workerTtl        a worker not heard of this long is evicted and its instances are placed elsewhere
 * @param workerCapacity   how many instances this worker runs at most
 * @param gatewayTtl       the reply topic of a gateway gone this long is deleted
 */
public record ClusterSettings(
        String name,
        String host,
        int port,
        List<String> members,
        int cpMemberCount,
        @JsonSerialize(using = DurationCodec.Writer.class) @JsonDeserialize(using = DurationCodec.Reader.class) Duration sessionTtl,
        @JsonSerialize(using = DurationCodec.Writer.class) @JsonDeserialize(using = DurationCodec.Reader.class) Duration sessionHeartbeat,
        @JsonSerialize(using = DurationCodec.Writer.class) @JsonDeserialize(using = DurationCodec.Reader.class) Duration memberTimeout,
        @JsonSerialize(using = DurationCodec.Writer.class) @JsonDeserialize(using = DurationCodec.Reader.class) Duration cpMemberRemoval,
        String adminHost,
        int adminPort,
        String adminKey,
        boolean adminOpen,
        @JsonSerialize(using = DurationCodec.Writer.class) @JsonDeserialize(using = DurationCodec.Reader.class) Duration workerHeartbeat,
        @JsonSerialize(using = DurationCodec.Writer.class) @JsonDeserialize(using = DurationCodec.Reader.class) Duration workerTtl,
        int workerCapacity,
        @JsonSerialize(using = DurationCodec.Writer.class) @JsonDeserialize(using = DurationCodec.Reader.class) Duration gatewayTtl) {

    public static final int DEFAULT_PORT = 5701;

    public ClusterSettings {
        name = name == null || name.isBlank() ? "katamari" : name;
        host = host == null || host.isBlank() ? "127.0.0.1" : host;
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("cluster.port must be 0-65535, was " + port);
        }
        members = members == null || members.isEmpty() ? List.of(host + ":" + DEFAULT_PORT) : List.copyOf(members);
        for (String m : members) {
            if (!m.matches("[^:\\s]+:\\d{1,5}")) {
                throw new IllegalArgumentException("cluster.members: '" + m + "' is not host:port");
            }
        }
        if (cpMemberCount != 0 && (cpMemberCount < 3 || cpMemberCount > 7)) {
            throw new IllegalArgumentException("cluster.cpMemberCount must be 0 (unsafe, one box) or 3-7, was " + cpMemberCount);
        }
        if (cpMemberCount > members.size()) {
            throw new IllegalArgumentException("cluster.cpMemberCount " + cpMemberCount + " needs at least as many members, the list has " + members.size());
        }
        sessionTtl = positive("sessionTtl", sessionTtl, Duration.ofSeconds(4));
        sessionHeartbeat = positive("sessionHeartbeat", sessionHeartbeat, Duration.ofSeconds(1));
        if (sessionTtl.toSeconds() < 2 * sessionHeartbeat.toSeconds() || sessionTtl.toMillis() % 1000 != 0 || sessionHeartbeat.toMillis() % 1000 != 0) {
            throw new IllegalArgumentException("cluster.sessionTtl and sessionHeartbeat are whole seconds, the TTL at least twice the heartbeat");
        }
        memberTimeout = positive("memberTimeout", memberTimeout, Duration.ofSeconds(10));
        cpMemberRemoval = positive("cpMemberRemoval", cpMemberRemoval, Duration.ofSeconds(30));
        adminHost = adminHost == null || adminHost.isBlank() ? "127.0.0.1" : adminHost;
        if (adminPort < 0 || adminPort > 65535) {
            throw new IllegalArgumentException("cluster.adminPort must be 0-65535, was " + adminPort);
        }
        adminKey = adminKey == null || adminKey.isBlank() ? null : adminKey;
        workerHeartbeat = positive("workerHeartbeat", workerHeartbeat, Duration.ofSeconds(1));
        workerTtl = positive("workerTtl", workerTtl, Duration.ofSeconds(5));
        if (workerTtl.compareTo(workerHeartbeat.multipliedBy(2)) < 0) {
            throw new IllegalArgumentException("cluster.workerTtl must be at least twice cluster.workerHeartbeat");
        }
        if (workerCapacity < 0) {
            throw new IllegalArgumentException("cluster.workerCapacity must not be negative, was " + workerCapacity);
        }
        gatewayTtl = positive("gatewayTtl", gatewayTtl, Duration.ofMinutes(10));
    }

    private static Duration positive(String name, Duration value, Duration dflt) {
        Duration d = value == null ? dflt : value;
        if (d.isZero() || d.isNegative()) {
            throw new IllegalArgumentException("cluster." + name + " must be positive");
        }
        return d;
    }

    public static ClusterSettings defaults() {
        return new ClusterSettings(null, null, DEFAULT_PORT, null, 0, null, null, null, null, null, 8090, null, false,
                null, null, 16, null);
    }

    /** This process's own {@code host:port} as it appears in the master list. */
    public String self() {
        return host + ":" + port;
    }

    /** 0 is the highest; a dispatcher missing from the list comes after every listed one. */
    public int priorityOf(String address) {
        int i = members.indexOf(address);
        return i < 0 ? members.size() : i;
    }

    public ClusterSettings withName(String newName) {
        return new ClusterSettings(newName, host, port, members, cpMemberCount, sessionTtl, sessionHeartbeat, memberTimeout,
                cpMemberRemoval, adminHost, adminPort, adminKey, adminOpen, workerHeartbeat, workerTtl, workerCapacity, gatewayTtl);
    }

    public ClusterSettings withCpMemberCount(int newCpMemberCount) {
        return new ClusterSettings(name, host, port, members, newCpMemberCount, sessionTtl, sessionHeartbeat, memberTimeout,
                cpMemberRemoval, adminHost, adminPort, adminKey, adminOpen, workerHeartbeat, workerTtl, workerCapacity, gatewayTtl);
    }

    public ClusterSettings withMemberTimeout(Duration newMemberTimeout) {
        return new ClusterSettings(name, host, port, members, cpMemberCount, sessionTtl, sessionHeartbeat, newMemberTimeout,
                cpMemberRemoval, adminHost, adminPort, adminKey, adminOpen, workerHeartbeat, workerTtl, workerCapacity, gatewayTtl);
    }

    public ClusterSettings withCpMemberRemoval(Duration newCpMemberRemoval) {
        return new ClusterSettings(name, host, port, members, cpMemberCount, sessionTtl, sessionHeartbeat, memberTimeout,
                newCpMemberRemoval, adminHost, adminPort, adminKey, adminOpen, workerHeartbeat, workerTtl, workerCapacity, gatewayTtl);
    }

    public ClusterSettings withAdminHost(String newAdminHost) {
        return new ClusterSettings(name, host, port, members, cpMemberCount, sessionTtl, sessionHeartbeat, memberTimeout,
                cpMemberRemoval, newAdminHost, adminPort, adminKey, adminOpen, workerHeartbeat, workerTtl, workerCapacity, gatewayTtl);
    }

    public ClusterSettings withAdminKey(String newAdminKey) {
        return new ClusterSettings(name, host, port, members, cpMemberCount, sessionTtl, sessionHeartbeat, memberTimeout,
                cpMemberRemoval, adminHost, adminPort, newAdminKey, adminOpen, workerHeartbeat, workerTtl, workerCapacity, gatewayTtl);
    }

    public ClusterSettings withAdminOpen(boolean newAdminOpen) {
        return new ClusterSettings(name, host, port, members, cpMemberCount, sessionTtl, sessionHeartbeat, memberTimeout,
                cpMemberRemoval, adminHost, adminPort, adminKey, newAdminOpen, workerHeartbeat, workerTtl, workerCapacity, gatewayTtl);
    }

    public ClusterSettings withWorkerHeartbeat(Duration newWorkerHeartbeat) {
        return new ClusterSettings(name, host, port, members, cpMemberCount, sessionTtl, sessionHeartbeat, memberTimeout,
                cpMemberRemoval, adminHost, adminPort, adminKey, adminOpen, newWorkerHeartbeat, workerTtl, workerCapacity, gatewayTtl);
    }

    public ClusterSettings withWorkerTtl(Duration newWorkerTtl) {
        return new ClusterSettings(name, host, port, members, cpMemberCount, sessionTtl, sessionHeartbeat, memberTimeout,
                cpMemberRemoval, adminHost, adminPort, adminKey, adminOpen, workerHeartbeat, newWorkerTtl, workerCapacity, gatewayTtl);
    }

    public ClusterSettings withWorkerCapacity(int newWorkerCapacity) {
        return new ClusterSettings(name, host, port, members, cpMemberCount, sessionTtl, sessionHeartbeat, memberTimeout,
                cpMemberRemoval, adminHost, adminPort, adminKey, adminOpen, workerHeartbeat, workerTtl, newWorkerCapacity,
                gatewayTtl);
    }

    public ClusterSettings withGatewayTtl(Duration newGatewayTtl) {
        return new ClusterSettings(name, host, port, members, cpMemberCount, sessionTtl, sessionHeartbeat, memberTimeout,
                cpMemberRemoval, adminHost, adminPort, adminKey, adminOpen, workerHeartbeat, workerTtl, workerCapacity,
                newGatewayTtl);
    }

    public ClusterSettings withMember(String newHost, int newPort, int newAdminPort) {
        return new ClusterSettings(name, newHost, newPort, members, cpMemberCount, sessionTtl, sessionHeartbeat, memberTimeout,
                cpMemberRemoval, adminHost, newAdminPort, adminKey, adminOpen, workerHeartbeat, workerTtl, workerCapacity, gatewayTtl);
    }

    public ClusterSettings withMembers(List<String> newMembers) {
        return new ClusterSettings(name, host, port, newMembers, cpMemberCount, sessionTtl, sessionHeartbeat, memberTimeout,
                cpMemberRemoval, adminHost, adminPort, adminKey, adminOpen, workerHeartbeat, workerTtl, workerCapacity, gatewayTtl);
    }

    /**
     * One box: a single dispatcher on 127.0.0.1 at {@code memberPort}, the CP Subsystem in unsafe mode, and the
     * admin API open unless a key is configured.
     */
    public ClusterSettings forOneBox(int memberPort, int newAdminPort) {
        return new ClusterSettings(name, "127.0.0.1", memberPort, List.of("127.0.0.1:" + memberPort), 0, sessionTtl, sessionHeartbeat,
                memberTimeout, cpMemberRemoval, "127.0.0.1", newAdminPort, adminKey, adminKey == null, workerHeartbeat, workerTtl,
                workerCapacity, gatewayTtl);
    }

    /** Everything but the admin key, for logs. */
    @Override
    public String toString() {
        return "ClusterSettings[name=" + name + ", self=" + self() + ", members=" + members + ", cpMemberCount=" + cpMemberCount
                + ", admin=" + adminHost + ":" + adminPort + (adminKey != null ? " (key set)" : adminOpen ? " (OPEN)" : " (no key)") + "]";
    }
}
