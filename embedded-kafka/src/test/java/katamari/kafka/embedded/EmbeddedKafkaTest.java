package katamari.kafka.embedded;

import static katamari.kafka.embedded.KafkaClients.only;
import static katamari.kafka.embedded.KafkaClients.pollUntilRecords;
import static katamari.kafka.embedded.KafkaClients.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicIdPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedKafkaTest {
    private static EmbeddedKafka kafka;
    private static KafkaClients clients;

    @BeforeAll
    static void startBroker() {
        kafka = EmbeddedKafka.start(EmbeddedKafka.Settings.defaults());
        clients = new KafkaClients(kafka.bootstrapServers());
    }

    @AfterAll
    static void stopBroker() {
        clients.close();
        kafka.close();
    }

    @Test
    void clients_are_given_a_loopback_address() {
        assertTrue(kafka.bootstrapServers().matches("127\\.0\\.0\\.1:\\d+"), kafka.bootstrapServers());
    }

    @Test
    void share_consumer_receives_record_produced_before_it_joined_when_group_resets_to_earliest() throws Exception {
        String topic = unique("requests");
        String group = unique("pool");
        clients.createTopic(topic);
        clients.startShareGroupAtEarliest(group);
        clients.send(topic, "hello");

        try (KafkaShareConsumer<String, String> consumer = clients.shareConsumer(group, topic)) {
            ConsumerRecord<String, String> record = only(pollUntilRecords(consumer));
            assertEquals("hello", record.value());
            assertEquals(Optional.of((short) 1), record.deliveryCount());

            consumer.acknowledge(record, AcknowledgeType.ACCEPT);
            Map<TopicIdPartition, Optional<KafkaException>> results = consumer.commitSync();
            assertEquals(1, results.size());
            results.values().forEach(error -> assertEquals(Optional.empty(), error));
        }
    }

    @Test
    void released_record_is_redelivered_with_higher_delivery_count() throws Exception {
        String topic = unique("requests");
        String group = unique("pool");
        clients.createTopic(topic);
        clients.startShareGroupAtEarliest(group);
        clients.send(topic, "crash me");

        try (KafkaShareConsumer<String, String> consumer = clients.shareConsumer(group, topic)) {
            ConsumerRecord<String, String> first = only(pollUntilRecords(consumer));
            consumer.acknowledge(first, AcknowledgeType.RELEASE);

            ConsumerRecord<String, String> again = only(pollUntilRecords(consumer));
            assertEquals(first.offset(), again.offset());
            assertEquals(Optional.of((short) 2), again.deliveryCount());
            consumer.acknowledge(again, AcknowledgeType.ACCEPT);
            consumer.commitSync();
        }
    }

    @Test
    void record_limited_acquisition_hands_out_one_record_per_poll() throws Exception {
        String topic = unique("requests");
        String group = unique("pool");
        clients.createTopic(topic);
        clients.startShareGroupAtEarliest(group);
        try (KafkaShareConsumer<String, String> busy = clients.shareConsumer(group, topic);
             KafkaShareConsumer<String, String> idle = clients.shareConsumer(group, topic)) {
            // One batch: batch-optimized acquisition would hand both records to the first poller,
            // past max.poll.records, and the other consumer would wait for the lock to expire.
            clients.sendOneBatch(topic, "one", "two");

            // busy holds its record unacknowledged, as an agent does while its instance works.
            ConsumerRecord<String, String> first = only(pollUntilRecords(busy));
            ConsumerRecord<String, String> second = only(pollUntilRecords(idle));

            assertNotEquals(first.offset(), second.offset());
            busy.acknowledge(first, AcknowledgeType.ACCEPT);
            idle.acknowledge(second, AcknowledgeType.ACCEPT);
            busy.commitSync();
            idle.commitSync();
        }
    }

    @Test
    void record_held_past_its_lock_duration_is_redelivered_to_another_consumer() throws Exception {
        String topic = unique("requests");
        String group = unique("pool");
        clients.createTopic(topic);
        clients.startShareGroupAtEarliest(group);
        // Below the broker's default minimum of 15 s: accepted because the embedded broker lowers it.
        clients.setGroupConfig(group, "share.record.lock.duration.ms", "2000");
        clients.send(topic, "instance hangs");

        try (KafkaShareConsumer<String, String> hung = clients.shareConsumer(group, topic);
             KafkaShareConsumer<String, String> healthy = clients.shareConsumer(group, topic)) {
            ConsumerRecord<String, String> held = only(pollUntilRecords(hung));
            assertEquals(Optional.of(2000), hung.acquisitionLockTimeoutMs());

            ConsumerRecord<String, String> redelivered = only(pollUntilRecords(healthy));
            assertEquals(held.offset(), redelivered.offset());
            assertEquals(Optional.of((short) 2), redelivered.deliveryCount());
            healthy.acknowledge(redelivered, AcknowledgeType.ACCEPT);
            healthy.commitSync();
        }
    }

    @Test
    void restart_on_the_same_data_dir_keeps_topics_and_share_groups_working(@TempDir Path dataDir) throws Exception {
        String topic = unique("requests");
        String group = unique("pool");
        EmbeddedKafka.Settings settings = new EmbeddedKafka.Settings(dataDir, 0);
        try (EmbeddedKafka first = EmbeddedKafka.start(settings);
             KafkaClients firstClients = new KafkaClients(first.bootstrapServers())) {
            firstClients.createTopic(topic);
            firstClients.startShareGroupAtEarliest(group);
            firstClients.send(topic, "survives a restart");
        }

        try (EmbeddedKafka second = EmbeddedKafka.start(settings);
             KafkaClients secondClients = new KafkaClients(second.bootstrapServers());
             KafkaShareConsumer<String, String> consumer = secondClients.shareConsumer(group, topic)) {
            assertTrue(secondClients.topics().contains(topic));
            ConsumerRecord<String, String> record = only(pollUntilRecords(consumer));
            assertEquals("survives a restart", record.value());
            consumer.acknowledge(record, AcknowledgeType.ACCEPT);
            consumer.commitSync();
        }
    }

    @Test
    void start_fails_with_an_exception_not_a_jvm_exit_when_the_port_is_taken() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            EmbeddedKafka.Settings settings = new EmbeddedKafka.Settings(null, taken.getLocalPort());
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> EmbeddedKafka.start(settings));
            assertTrue(e.getMessage().contains(String.valueOf(taken.getLocalPort())), e.getMessage());
        }
    }

    @Test
    void close_is_idempotent() {
        EmbeddedKafka broker = EmbeddedKafka.start(EmbeddedKafka.Settings.defaults());
        broker.close();
        broker.close();
    }
}
