package katamari.it.replicated;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewPartitionReassignment;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.ElectionType;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.config.ConfigResource;
import org.awaitility.Awaitility;

/** What a fault test asks the brokers: who leads what, and moving a leadership where the test wants it. */
final class Brokers implements AutoCloseable {
    private final Admin admin;

    Brokers(String bootstrap) {
        admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 20_000, AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000));
    }

    /** The node id leading partition 0 of {@code topic} (-1 while it has no leader). */
    int leaderOf(String topic) {
        Node leader = partition(topic).leader();
        return leader == null ? -1 : leader.id();
    }

    /** The node id coordinating share group {@code group}. */
    int coordinatorOf(String group) {
        return get(admin.describeShareGroups(List.of(group)).describedGroups().get(group)).coordinator().id();
    }

    /** Moves the leadership of partition 0 of {@code topic} to {@code node} (its replicas stay the same brokers). */
    void moveLeader(String topic, int node) {
        TopicPartition tp = new TopicPartition(topic, 0);
        List<Integer> replicas = new ArrayList<>(partition(topic).replicas().stream().map(Node::id).toList());
        if (!replicas.remove(Integer.valueOf(node))) {
            throw new IllegalStateException("broker " + node + " holds no replica of " + topic + ": " + replicas);
        }
        replicas.add(0, node); // the first replica is the preferred leader
        get(admin.alterPartitionReassignments(Map.of(tp, Optional.of(new NewPartitionReassignment(replicas)))).all());
        Awaitility.await("preferred leader of " + topic + " is broker " + node).atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .ignoreExceptions().until(() -> {
                    if (leaderOf(topic) == node) {
                        return true;
                    }
                    get(admin.electLeaders(ElectionType.PREFERRED, Set.of(tp)).all());
                    return leaderOf(topic) == node;
                });
    }

    /** Every replica of every partition of {@code topics} is in sync again (a restarted broker caught up). */
    void awaitInSync(Duration atMost, String... topics) {
        Awaitility.await("every replica of " + List.of(topics) + " in sync").atMost(atMost).pollInterval(Duration.ofMillis(250))
                .ignoreExceptions().until(() -> {
                    for (TopicDescription d : get(admin.describeTopics(List.of(topics)).allTopicNames()).values()) {
                        for (TopicPartitionInfo p : d.partitions()) {
                            if (p.isr().size() < p.replicas().size()) {
                                return false;
                            }
                        }
                    }
                    return true;
                });
    }

    /** How many replicas partition 0 of {@code topic} has. */
    int replicas(String topic) {
        return partition(topic).replicas().size();
    }

    /** A config of {@code topic} as set on the topic itself, or null when it only has the broker's default. */
    String topicConfig(String topic, String name) {
        ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        ConfigEntry e = get(admin.describeConfigs(List.of(r)).all()).get(r).get(name);
        return e == null || e.source() != ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG ? null : e.value();
    }

    private TopicPartitionInfo partition(String topic) {
        TopicDescription d = get(admin.describeTopics(List.of(topic)).allTopicNames()).get(topic);
        return d.partitions().get(0);
    }

    private static <T> T get(org.apache.kafka.common.KafkaFuture<T> f) {
        try {
            return f.get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("the brokers did not answer within 30 s", e);
        }
    }

    @Override
    public void close() {
        admin.close(Duration.ofSeconds(5));
    }
}
