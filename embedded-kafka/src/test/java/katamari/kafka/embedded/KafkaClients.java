package katamari.kafka.embedded;

import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.clients.consumer.ShareConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** Test-side Kafka clients, configured the way the worker agent and gateway are meant to be. */
final class KafkaClients implements AutoCloseable {
    private final String bootstrapServers;
    private final Admin admin;

    KafkaClients(String bootstrapServers) {
        this.bootstrapServers = bootstrapServers;
        this.admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers));
    }

    static String unique(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    Admin admin() {
        return admin;
    }

    void createTopic(String topic) throws ExecutionException, InterruptedException {
        admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
    }

    Set<String> topics() throws ExecutionException, InterruptedException {
        return admin.listTopics().names().get();
    }

    /** What the dispatcher does when a pool-version is created: nothing produced before the first worker joins is lost. */
    void startShareGroupAtEarliest(String groupId) throws ExecutionException, InterruptedException {
        setGroupConfig(groupId, "share.auto.offset.reset", "earliest");
    }

    void setGroupConfig(String groupId, String name, String value) throws ExecutionException, InterruptedException {
        ConfigResource group = new ConfigResource(ConfigResource.Type.GROUP, groupId);
        AlterConfigOp set = new AlterConfigOp(new ConfigEntry(name, value), AlterConfigOp.OpType.SET);
        admin.incrementalAlterConfigs(Map.of(group, List.of(set))).all().get();
    }

    KafkaProducer<String, String> producer() {
        return new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.LINGER_MS_CONFIG, 0,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true),
                new StringSerializer(), new StringSerializer());
    }

    RecordMetadata send(String topic, String value) throws ExecutionException, InterruptedException {
        try (KafkaProducer<String, String> producer = producer()) {
            return producer.send(new ProducerRecord<>(topic, value)).get();
        }
    }

    /** Produces {@code values} as one record batch, the case where batch-optimized acquisition over-acquires. */
    void sendOneBatch(String topic, String... values) {
        Map<String, Object> config = Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.LINGER_MS_CONFIG, 60_000,
                ProducerConfig.ACKS_CONFIG, "all");
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(config, new StringSerializer(), new StringSerializer())) {
            for (String value : values) {
                producer.send(new ProducerRecord<>(topic, value));
            }
            producer.flush();
        }
    }

    /** A share consumer in explicit acknowledgement mode, handed at most one record per poll. */
    KafkaShareConsumer<String, String> shareConsumer(String groupId, String topic) {
        return shareConsumer(groupId, topic, Map.of());
    }

    KafkaShareConsumer<String, String> shareConsumer(String groupId, String topic, Map<String, Object> overrides) {
        Map<String, Object> config = new HashMap<>();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        config.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        config.put(ConsumerConfig.SHARE_ACKNOWLEDGEMENT_MODE_CONFIG, "explicit");
        config.put(ConsumerConfig.SHARE_ACQUIRE_MODE_CONFIG, "record_limit");
        config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 1);
        config.putAll(overrides);
        KafkaShareConsumer<String, String> consumer =
                new KafkaShareConsumer<>(config, new StringDeserializer(), new StringDeserializer());
        consumer.subscribe(List.of(topic));
        return consumer;
    }

    /**
     * Polls until a poll returns records. Share consumers are single-threaded, so the polling happens
     * on the caller's thread.
     */
    static ConsumerRecords<String, String> pollUntilRecords(ShareConsumer<String, String> consumer) {
        AtomicReference<ConsumerRecords<String, String>> received = new AtomicReference<>();
        await().atMost(Duration.ofSeconds(30)).pollInSameThread().pollInterval(Duration.ZERO).until(() -> {
            ConsumerRecords<String, String> records = consumer.poll(Duration.ofMillis(200));
            received.set(records);
            return !records.isEmpty();
        });
        return received.get();
    }

    static ConsumerRecord<String, String> only(ConsumerRecords<String, String> records) {
        List<ConsumerRecord<String, String>> list = new ArrayList<>();
        records.forEach(list::add);
        if (list.size() != 1) {
            throw new AssertionError("expected exactly one record, got " + list.size() + ": " + list);
        }
        return list.get(0);
    }

    @Override
    public void close() {
        admin.close();
    }
}
