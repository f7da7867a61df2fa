package katamari.dispatcher.provisioning;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import katamari.config.KafkaSettings;
import katamari.config.PoolDefinition;
import katamari.topics.TopicNames;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.CreateTopicsResult;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates what a pool-version needs in Kafka: its request and dead-letter topics, and its share group's configs; and,
 * with the first of them, the cluster's one cancel topic. Idempotent: existing topics are left as they are, group
 * configs are (re)set.
 */
public final class TopicProvisioner implements Topics, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TopicProvisioner.class);
    /**
     * Bounds for the group lock: 1 s is the lowest the broker accepts at all (the embedded broker lowers its
     * minimum to that; Kafka's default minimum is 15 s), 60 s is Kafka's default maximum.
     */
    static final long MIN_LOCK_MS = 1_000;
    static final long MAX_LOCK_MS = 60_000;
    /** Agents read the cancel topic from its end and a cancel matters for a request's life at most: an hour is plenty. */
    static final String CANCEL_RETENTION_MS = "3600000";

    private final Admin admin;
    private final KafkaSettings kafka;

    public TopicProvisioner(KafkaSettings kafka) {
        this.kafka = kafka;
        Properties p = kafka.clientProperties();
        // a master must not hang on an unreachable broker: provisioning is retried on the next tick
        p.putIfAbsent("default.api.timeout.ms", "15000");
        p.putIfAbsent("request.timeout.ms", "10000");
        this.admin = Admin.create(p);
    }

    @Override
    public void provision(Collection<PoolDefinition> pools) {
        List<NewTopic> topics = new ArrayList<>();
        for (PoolDefinition p : pools) {
            topics.add(new NewTopic(TopicNames.requests(p.name(), p.version()), kafka.partitions(), kafka.replicationFactor())
                    .configs(kafka.topicConfigs()));
            topics.add(new NewTopic(TopicNames.dead(p.name(), p.version()), 1, kafka.replicationFactor()).configs(kafka.topicConfigs()));
        }
        Map<String, String> cancelConfigs = new HashMap<>(kafka.topicConfigs());
        cancelConfigs.put("retention.ms", CANCEL_RETENTION_MS);
        topics.add(new NewTopic(TopicNames.cancels(), 1, kafka.replicationFactor()).configs(cancelConfigs));
        CreateTopicsResult created = admin.createTopics(topics);
        created.values().forEach((name, future) -> await(future, name, true));
        Map<ConfigResource, Collection<AlterConfigOp>> groupConfigs = new HashMap<>();
        for (PoolDefinition p : pools) {
            groupConfigs.put(new ConfigResource(ConfigResource.Type.GROUP, TopicNames.shareGroup(p.name(), p.version())), List.of(
                    // a new share group starts at "latest": without this, requests produced before the first worker joined are lost
                    set("share.auto.offset.reset", "earliest"),
                    // a dead agent's records come back after this long; follow the pool's timeout so that happens before clients give up
                    set("share.record.lock.duration.ms", String.valueOf(lockDurationMs(p)))));
        }
        admin.incrementalAlterConfigs(groupConfigs).values().forEach((resource, future) -> await(future, "group " + resource.name(), false));
        LOG.info("provisioned {} pool-version(s): request and dead-letter topics, share groups", pools.size());
    }

    /**
     * A quarter of the pool timeout, within the broker's bounds: a record whose agent died comes back while its
     * caller still waits; a live agent renews the lock of a request that runs longer.
     */
    static long lockDurationMs(PoolDefinition p) {
        return Math.max(MIN_LOCK_MS, Math.min(MAX_LOCK_MS, p.timeout().toMillis() / 4));
    }

    /** Deletes a topic (a gone gateway's reply topic); a topic that is already gone is fine. */
    @Override
    public void deleteTopic(String topic) {
        try {
            admin.deleteTopics(List.of(topic)).all().get();
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
                throw new IllegalStateException("cannot delete topic " + topic + ": " + e.getCause().getMessage(), e.getCause());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while deleting " + topic, e);
        }
    }

    private static AlterConfigOp set(String name, String value) {
        return new AlterConfigOp(new ConfigEntry(name, value), AlterConfigOp.OpType.SET);
    }

    private static void await(KafkaFuture<?> future, String what, boolean existsIsFine) {
        try {
            future.get();
        } catch (ExecutionException e) {
            if (existsIsFine && e.getCause() instanceof TopicExistsException) {
                return;
            }
            throw new IllegalStateException("cannot provision " + what + ": " + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while provisioning " + what, e);
        }
    }

    @Override
    public void close() {
        admin.close();
    }
}
