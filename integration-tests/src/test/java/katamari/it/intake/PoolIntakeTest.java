package katamari.it.intake;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import katamari.config.PoolDefinition;
import katamari.it.support.KafkaFixture;
import katamari.it.support.Katamari;
import katamari.topics.TopicNames;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** How an agent takes records from its pool-version's share group (pool-worker/.../intake/PoolIntake). */
class PoolIntakeTest {
    @Test
    void a_busy_agent_holds_at_most_one_batch_and_leaves_the_backlog_to_other_agents() throws Exception {
        // one instance, prefetch 1: the agent may hold the record its instance runs and one fetched for it, no more
        PoolDefinition pool = Katamari.pool("faulty", Katamari.faultyCommand(), 1);
        try (Katamari k = Katamari.start(List.of(pool), Katamari.testWorker(), Duration.ofSeconds(20), true);
             KafkaShareConsumer<byte[], byte[]> otherAgent = shareConsumer(pool)) {
            String topic = TopicNames.requests(pool.name(), pool.version());
            try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers", KafkaFixture.bootstrapServers()),
                    new ByteArraySerializer(), new ByteArraySerializer())) {
                // fire-and-forget sleeps whose deadline ends them in 6 s: the instance is busy for the whole test
                long deadline = System.currentTimeMillis() + 6_000;
                for (int i = 0; i < 6; i++) {
                    producer.send(new ProducerRecord<>(topic, null, null, ("s" + i).getBytes(StandardCharsets.UTF_8),
                            "{\"method\":\"sleep\",\"args\":{\"ms\":20000}}".getBytes(StandardCharsets.UTF_8),
                            List.of(new RecordHeader("katamari-deadline", Long.toString(deadline).getBytes(StandardCharsets.UTF_8))))).get();
                }
            }
            Awaitility.await("the agent's instance is running one of them").atMost(Duration.ofSeconds(10))
                    .until(() -> k.worker().status().get(0).state().name().equals("BUSY"));
            Set<String> taken = new HashSet<>();
            List<ConsumerRecord<byte[], byte[]>> mine = new ArrayList<>();
            Awaitility.await("the rest of the backlog reaches another agent").atMost(Duration.ofSeconds(10)).until(() -> {
                for (ConsumerRecord<byte[], byte[]> r : otherAgent.poll(Duration.ofMillis(200))) {
                    taken.add(new String(r.key(), StandardCharsets.UTF_8));
                    otherAgent.acknowledge(r, AcknowledgeType.ACCEPT);
                    mine.add(r);
                }
                return taken.size() >= 4;
            });
            assertTrue(taken.size() <= 5, "the agent runs one record itself: " + taken);
            assertEquals(taken.size(), mine.size(), "no record was handed out twice");
        }
    }

    private static KafkaShareConsumer<byte[], byte[]> shareConsumer(PoolDefinition pool) {
        Properties p = new Properties();
        p.put("bootstrap.servers", KafkaFixture.bootstrapServers());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, TopicNames.shareGroup(pool.name(), pool.version()));
        p.put(ConsumerConfig.SHARE_ACKNOWLEDGEMENT_MODE_CONFIG, "explicit");
        KafkaShareConsumer<byte[], byte[]> c = new KafkaShareConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        c.subscribe(List.of(TopicNames.requests(pool.name(), pool.version())));
        return c;
    }
}
