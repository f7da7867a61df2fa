package katamari.kafka.embedded;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Server configurations: {@link #of} for the one-box broker (a combined broker and controller on 127.0.0.1,
 * replication factor 1 everywhere, share groups usable with short lock durations), {@link #forNode} for one
 * node of a replicated KRaft cluster (the same, plus replication and fast failure detection). docs/operations.md
 * explains each replicated setting for operators of any Kafka.
 */
final class ServerProperties {
    private static final int NODE_ID = 1;
    private static final String BROKER_LISTENER = "BROKER";
    private static final String CONTROLLER_LISTENER = "CONTROLLER";

    private ServerProperties() {}

    static Map<String, String> of(Path dataDir, int brokerPort, int controllerPort) {
        Map<String, String> p = listeners(NODE_ID, NODE_ID + "@127.0.0.1:" + controllerPort, dataDir, brokerPort, controllerPort);
        shared(p);
        // One node: replication factor 1 everywhere.
        p.put("default.replication.factor", "1");
        p.put("min.insync.replicas", "1");
        p.put("offsets.topic.replication.factor", "1");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        return p;
    }

    /**
     * One node of a cluster of {@code voters.size()} combined broker+controller nodes, each a static voter.
     * Every topic, the internal ones included, is replicated 3 times (fewer on a smaller cluster) and needs 2 in
     * sync replicas for an {@code acks=all} write, so one node may die without losing an acknowledged record or
     * refusing writes.
     *
     * @param voters controller port of every node, by node id (this node's included)
     */
    static Map<String, String> forNode(int nodeId, Map<Integer, Integer> voters, Path dataDir, int brokerPort) {
        String quorum = voters.entrySet().stream().map(v -> v.getKey() + "@127.0.0.1:" + v.getValue()).collect(Collectors.joining(","));
        Map<String, String> p = listeners(nodeId, quorum, dataDir, brokerPort, voters.get(nodeId));
        shared(p);
        String rf = String.valueOf(Math.min(3, voters.size()));
        String minIsr = String.valueOf(Math.min(2, voters.size()));
        p.put("default.replication.factor", rf);
        p.put("min.insync.replicas", minIsr);
        p.put("offsets.topic.replication.factor", rf);
        p.put("transaction.state.log.replication.factor", rf);
        p.put("transaction.state.log.min.isr", minIsr);
        // The share-group state topic: a share partition whose state cannot be written refuses to hand out
        // records, so it must survive a node as the request topics do.
        p.put("share.coordinator.state.topic.replication.factor", rf);
        p.put("share.coordinator.state.topic.min.isr", minIsr);
        // A replica that fell behind; the unclean default (false) keeps acknowledged records.
        p.put("unclean.leader.election.enable", "false");
        failureDetection(p);
        return p;
    }

    /**
     * How fast a killed node stops costing answers. Kafka's defaults (session 9 s, heartbeat 2 s) left 9-11 s
     * without an answer after a kill -9: until the controller fences the dead broker, metadata still names it
     * leader and acks=all writes wait for it to drop out of the ISR. Measured on a 3-node cluster on one 2-core
     * box (docs/operations.md): these bring answers back within the 5 s target.
     */
    private static void failureDetection(Map<String, String> p) {
        // The controller fences a broker it has not heard from for this long, which moves its partition
        // leaderships and shrinks the ISRs it was in. 4 heartbeats fit into it, so one late heartbeat on a busy
        // box does not fence a live broker.
        p.put("broker.session.timeout.ms", "2000");
        p.put("broker.heartbeat.interval.ms", "500");
        // If the dead node was the active controller, the others first notice it (fetch timeout) and elect a
        // new one (election backoff); only then can the fencing above start. Defaults: 2 s and 1 s.
        p.put("controller.quorum.fetch.timeout.ms", "1000");
        p.put("controller.quorum.election.timeout.ms", "500");
        p.put("controller.quorum.request.timeout.ms", "1000");
        // A follower that stays connected and heartbeats but does not fetch (a stuck disk, a frozen thread) is
        // dropped from the ISR after this long, so acks=all writes stop waiting for it (default 30 s). Well
        // above the 500 ms fetch wait, so a follower idle on a quiet partition is never dropped.
        p.put("replica.lag.time.max.ms", "5000");
    }

    private static Map<String, String> listeners(int nodeId, String quorum, Path dataDir, int brokerPort, int controllerPort) {
        Map<String, String> p = new LinkedHashMap<>();
        // KRaft, one node. A static voter (not a dynamic quorum) keeps the controller endpoint out of the
        // metadata log, so a restart on the same data dir may use a different controller port.
        p.put("process.roles", "broker,controller");
        p.put("node.id", String.valueOf(nodeId));
        p.put("controller.quorum.voters", quorum);
        p.put("listeners", BROKER_LISTENER + "://127.0.0.1:" + brokerPort + "," + CONTROLLER_LISTENER + "://127.0.0.1:" + controllerPort);
        p.put("advertised.listeners", BROKER_LISTENER + "://127.0.0.1:" + brokerPort);
        p.put("listener.security.protocol.map", BROKER_LISTENER + ":PLAINTEXT," + CONTROLLER_LISTENER + ":PLAINTEXT");
        p.put("inter.broker.listener.name", BROKER_LISTENER);
        p.put("controller.listener.names", CONTROLLER_LISTENER);
        p.put("log.dirs", dataDir.toAbsolutePath().toString());
        return p;
    }

    private static void shared(Map<String, String> p) {
        // Topics are provisioned on purpose (DESIGN.md), never by a typo in a producer.
        p.put("auto.create.topics.enable", "false");
        p.put("num.partitions", "1");

        // Internal topics: one partition each, because creating the default 50 partitions costs seconds on a
        // small box the first time a group is used. Their replication is set by the callers; on one broker,
        // without RF 1 for the share-state topic, share consumers join but never receive a record (DESIGN.md).
        p.put("offsets.topic.num.partitions", "1");
        p.put("transaction.state.log.num.partitions", "1");
        p.put("share.coordinator.state.topic.num.partitions", "1");

        // Groups: no join delay; let pools choose lock durations of a few seconds (the group config
        // share.record.lock.duration.ms is bounded below by this broker minimum, 15 s by default).
        p.put("group.initial.rebalance.delay.ms", "0");
        p.put("group.share.min.record.lock.duration.ms", "1000");
        // A share member gets its partitions from a heartbeat response, and the default 1 s assignment
        // interval plus 5 s heartbeats made a new consumer wait 1.2-5 s for its first record; with these,
        // ~20-200 ms. The heartbeat must stay within [min, max], hence the lower minimum.
        p.put("group.share.assignment.interval.ms", "0");
        p.put("group.share.heartbeat.interval.ms", "1000");
        p.put("group.share.min.heartbeat.interval.ms", "1000");

        // A 2-core box shared with the whole application: few threads, small cleaner buffer. One network and one
        // request thread rather than two of each: echo at concurrency 32 went from 9,823 to 10,618 requests/s side by
        // side (docs/benchmarks.md), because fewer threads hand each request over fewer times.
        p.put("num.network.threads", "1");
        p.put("num.io.threads", "1");
        p.put("background.threads", "2");
        p.put("num.recovery.threads.per.data.dir", "1");
        p.put("num.replica.fetchers", "1");
        p.put("group.coordinator.threads", "1");
        p.put("group.coordinator.background.threads", "1");
        p.put("share.coordinator.threads", "1");
        p.put("log.cleaner.threads", "1");
        p.put("log.cleaner.dedupe.buffer.size", String.valueOf(8 * 1024 * 1024));

        // Metadata commits (topic creation) wait for this linger; there is no batching to gain on one node.
        p.put("controller.quorum.append.linger.ms", "0");
    }
}
