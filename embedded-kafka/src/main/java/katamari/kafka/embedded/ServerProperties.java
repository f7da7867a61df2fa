package katamari.kafka.embedded;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The server configuration of the one-box broker: a combined broker and controller on 127.0.0.1,
 * replication factor 1 everywhere, and share groups usable with short lock durations.
 */
final class ServerProperties {
    private static final int NODE_ID = 1;
    private static final String BROKER_LISTENER = "BROKER";
    private static final String CONTROLLER_LISTENER = "CONTROLLER";

    private ServerProperties() {}

    static Map<String, String> of(Path dataDir, int brokerPort, int controllerPort) {
        Map<String, String> p = new LinkedHashMap<>();
        // KRaft, one node. A static voter (not a dynamic quorum) keeps the controller endpoint out of the
        // metadata log, so a restart on the same data dir may use a different controller port.
        p.put("process.roles", "broker,controller");
        p.put("node.id", String.valueOf(NODE_ID));
        p.put("controller.quorum.voters", NODE_ID + "@127.0.0.1:" + controllerPort);
        p.put("listeners", BROKER_LISTENER + "://127.0.0.1:" + brokerPort + "," + CONTROLLER_LISTENER + "://127.0.0.1:" + controllerPort);
        p.put("advertised.listeners", BROKER_LISTENER + "://127.0.0.1:" + brokerPort);
        p.put("listener.security.protocol.map", BROKER_LISTENER + ":PLAINTEXT," + CONTROLLER_LISTENER + ":PLAINTEXT");
        p.put("inter.broker.listener.name", BROKER_LISTENER);
        p.put("controller.listener.names", CONTROLLER_LISTENER);
        p.put("log.dirs", dataDir.toAbsolutePath().toString());

        // Topics are provisioned on purpose (DESIGN.md), never by a typo in a producer.
        p.put("auto.create.topics.enable", "false");
        p.put("num.partitions", "1");
        p.put("default.replication.factor", "1");
        p.put("min.insync.replicas", "1");

        // Internal topics on a single broker: RF 1, and one partition each, because creating the
        // default 50 partitions costs seconds on a small box the first time a group is used.
        p.put("offsets.topic.replication.factor", "1");
        p.put("offsets.topic.num.partitions", "1");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("transaction.state.log.num.partitions", "1");
        // Without these two, share consumers join but never receive a record (DESIGN.md).
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
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
        return p;
    }
}
