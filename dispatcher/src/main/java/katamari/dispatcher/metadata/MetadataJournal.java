package katamari.dispatcher.metadata;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import katamari.cluster.ClusterMaps;
import katamari.config.KafkaSettings;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The masters' durable copy of the metadata they own, in a compacted Kafka topic (one per cluster name), the way
 * Kafka Connect keeps its configs: Hazelcast Community keeps nothing on disk, so without it every pool, weight and
 * drain made through the admin API died with the last dispatcher, and the fence started over with a new CP group.
 *
 * <p>Kafka is the store every role already depends on and that an operator already replicates; a second store
 * (a database, Hazelcast's Enterprise persistence) would be one more thing to run. The journal holds, per key, the
 * same JSON as the {@code ReplicatedMap} ({@link #DURABLE} maps only: heartbeats are not worth keeping) and one
 * {@code fence} record: the highest fence a master has ever written under. A master records its fence here
 * <em>before</em> its first write, so after a restart of the whole master set the next fence starts above every
 * value any reader has seen.
 *
 * <p>Writes are synchronous (acks=all): a change the admin API acknowledged is on the replicated log. Only the
 * master's duties thread and its election write; reads happen at takeover.
 */
public final class MetadataJournal implements Journal, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MetadataJournal.class);
    /** The maps whose entries survive the loss of every dispatcher. */
    public static final Set<String> DURABLE = Set.of(ClusterMaps.POOLS, ClusterMaps.PLACEMENTS, ClusterMaps.DRAINS);
    private static final String FENCE_KEY = "fence";

    private final KafkaSettings kafka;
    private final String topic;
    private final Duration timeout;
    private final KafkaProducer<byte[], byte[]> producer;
    private volatile boolean topicReady;

    /** @param clusterName the cluster's name: clusters that share a Kafka keep separate journals */
    public MetadataJournal(KafkaSettings kafka, String clusterName, Duration timeout) {
        this.kafka = kafka;
        this.topic = topicFor(clusterName);
        this.timeout = timeout;
        Properties p = kafka.clientProperties();
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "0");
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, String.valueOf(timeout.toMillis()));
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, String.valueOf(Math.min(timeout.toMillis(), 30_000)));
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, String.valueOf(Math.max(timeout.toMillis(), 1_000)));
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "katamari-metadata-journal");
        this.producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** {@code katamari.metadata.<cluster name>}, with characters Kafka refuses in a topic name replaced by {@code _}. */
    public static String topicFor(String clusterName) {
        return "katamari.metadata." + clusterName.replaceAll("[^a-zA-Z0-9._-]", "_");
    }

    @Override
    public String topic() {
        return topic;
    }

    /** Returns once the broker has it on every in-sync replica. */
    @Override
    public void put(String mapName, String key, String json) {
        if (!DURABLE.contains(mapName)) {
            throw new IllegalArgumentException(mapName + " is not a durable map: " + DURABLE);
        }
        send(mapName + ":" + key, json);
    }

    @Override
    public void recordFence(long fence) {
        send(FENCE_KEY, "{\"fence\":" + fence + "}");
    }

    /** Read from its start to its current end. */
    @Override
    public Snapshot read() {
        ensureTopic();
        Properties p = kafka.clientProperties();
        p.put("client.id", "katamari-metadata-reader");
        p.put("enable.auto.commit", "false");
        p.put("default.api.timeout.ms", String.valueOf(timeout.toMillis()));
        long fence = 0;
        Map<String, Map<String, String>> maps = new HashMap<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            TopicPartition tp = new TopicPartition(topic, 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long end = consumer.endOffsets(List.of(tp), timeout).get(tp);
            long until = System.nanoTime() + timeout.toNanos();
            while (consumer.position(tp, timeout) < end) {
                if (System.nanoTime() > until) {
                    throw new IllegalStateException("cannot read " + topic + " to its end (" + end + ") within " + timeout.toMillis() + " ms");
                }
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    String key = new String(r.key(), StandardCharsets.UTF_8);
                    String value = r.value() == null ? null : new String(r.value(), StandardCharsets.UTF_8);
                    if (key.equals(FENCE_KEY)) {
                        fence = Math.max(fence, value == null ? 0 : parseFence(value));
                        continue;
                    }
                    int colon = key.indexOf(':');
                    if (colon < 0) {
                        LOG.warn("ignoring record at offset {} of {}: key '{}' names no map", r.offset(), topic, key);
                        continue;
                    }
                    Map<String, String> entries = maps.computeIfAbsent(key.substring(0, colon), k -> new HashMap<>());
                    if (value == null) {
                        entries.remove(key.substring(colon + 1));
                    } else {
                        entries.put(key.substring(colon + 1), value);
                    }
                }
            }
        } catch (RuntimeException e) {
            throw new IllegalStateException("cannot read the metadata journal " + topic + ": " + e.getMessage(), e);
        }
        return new Snapshot(fence, maps);
    }

    private static long parseFence(String json) {
        String digits = json.replaceAll("[^0-9]", "");
        return digits.isEmpty() ? 0 : Long.parseLong(digits);
    }

    private void send(String key, String json) {
        ensureTopic();
        ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(topic, 0, key.getBytes(StandardCharsets.UTF_8),
                json.getBytes(StandardCharsets.UTF_8));
        try {
            producer.send(record).get(timeout.toMillis() + 1_000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot write " + key + " to the metadata journal " + topic + ": " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("the metadata journal " + topic + " did not acknowledge " + key + " within " + timeout.toMillis() + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while writing the metadata journal", e);
        }
    }

    /** Creates the compacted topic (an existing one is fine); once per process. */
    private void ensureTopic() {
        if (topicReady) {
            return;
        }
        Properties p = kafka.clientProperties();
        p.put("default.api.timeout.ms", String.valueOf(timeout.toMillis()));
        p.put("request.timeout.ms", String.valueOf(Math.min(timeout.toMillis(), 10_000)));
        try (Admin admin = Admin.create(p)) {
            // one partition: the journal is small and must be read in the order it was written
            Map<String, String> configs = new HashMap<>(kafka.topicConfigs()); // kafka.minInsyncReplicas, as on every Katamari topic
            configs.put("cleanup.policy", "compact");
            NewTopic t = new NewTopic(topic, 1, kafka.replicationFactor()).configs(configs);
            admin.createTopics(List.of(t)).all().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            LOG.info("created the metadata journal {}", topic);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw new IllegalStateException("cannot create the metadata journal " + topic + ": " + e.getCause().getMessage(), e.getCause());
            }
        } catch (TimeoutException e) {
            throw new IllegalStateException("cannot create the metadata journal " + topic + " within " + timeout.toMillis() + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating the metadata journal", e);
        }
        topicReady = true;
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
    }
}
