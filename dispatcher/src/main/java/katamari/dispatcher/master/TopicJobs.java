package katamari.dispatcher.master;

import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import katamari.cluster.PoolVersion;
import katamari.config.PoolDefinition;
import katamari.dispatcher.provisioning.Topics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The master's Kafka admin work, on a thread of its own so that a slow broker never holds up a tick: creating the
 * topics of pool-versions that lack them, deleting the reply topics of gateways long gone.
 */
final class TopicJobs implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TopicJobs.class);

    private final ExecutorService kafkaWork = Executors.newSingleThreadExecutor(r -> Master.daemon(r, "master-provisioning"));
    private final Topics topics;
    private final Set<String> provisioned = ConcurrentHashMap.newKeySet();
    private final Set<String> provisioning = ConcurrentHashMap.newKeySet();

    TopicJobs(Topics topics) {
        this.topics = topics;
    }

    /** Creates the pool-version's topics on the caller's thread: an admin call answers only once they exist. */
    void provisionNow(PoolDefinition d) {
        topics.provision(List.of(d));
        provisioned.add(d.key());
    }

    /** Starts creating the topics of every pool-version not provisioned in this term yet; a failure is retried next time. */
    void provisionMissing(Collection<PoolVersion> versions) {
        List<PoolDefinition> todo = versions.stream().map(PoolVersion::definition)
                .filter(d -> !provisioned.contains(d.key()) && provisioning.add(d.key())).toList();
        if (todo.isEmpty()) {
            return;
        }
        kafkaWork.execute(() -> {
            try {
                topics.provision(todo);
                todo.forEach(d -> provisioned.add(d.key()));
            } catch (RuntimeException e) {
                LOG.warn("provisioning {} failed, will retry: {}", todo.stream().map(PoolDefinition::key).toList(), e.getMessage());
            } finally {
                todo.forEach(d -> provisioning.remove(d.key()));
            }
        });
    }

    void deleteReplyTopic(String gateway, String topic) {
        kafkaWork.execute(() -> {
            try {
                topics.deleteTopic(topic);
                LOG.info("gateway {} is gone: deleted its reply topic {}", gateway, topic);
            } catch (RuntimeException e) {
                LOG.warn("cannot delete reply topic {}: {}", topic, e.getMessage());
            }
        });
    }

    /** A new term checks every pool-version's topics again. */
    void forget() {
        provisioned.clear();
    }

    @Override
    public void close() {
        kafkaWork.shutdownNow();
    }
}
