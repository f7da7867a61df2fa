package katamari.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import katamari.it.support.KafkaFixture;
import katamari.it.support.Katamari;
import katamari.topics.TopicNames;
import katamari.topics.WireCodec;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A client that never talks to the gateway: plain Kafka producer in, plain Kafka consumer out. */
class KafkaDirectTest {
    private static Katamari katamari;

    @BeforeAll
    static void start() {
        katamari = Katamari.start(1, Duration.ofSeconds(30));
    }

    @AfterAll
    static void stop() {
        katamari.close();
    }

    @Test
    void a_request_produced_straight_to_the_topic_gets_its_reply_on_the_topic_the_client_names() throws Exception {
        String replyTopic = "client-replies-" + UUID.randomUUID();
        Properties props = new Properties();
        props.put("bootstrap.servers", KafkaFixture.bootstrapServers());
        try (Admin admin = Admin.create(props)) {
            admin.createTopics(List.of(new NewTopic(replyTopic, 1, (short) 1))).all().get();
        }
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
             KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
            TopicPartition tp = new TopicPartition(replyTopic, 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));

            ProducerRecord<byte[], byte[]> request = new ProducerRecord<>(
                    TopicNames.requests("echo", katamari.echoPool().version()),
                    "{\"method\":\"echo\",\"args\":{\"text\":\"straight from kafka\"}}".getBytes(StandardCharsets.UTF_8));
            request.headers().add("katamari-id", "k-1".getBytes(StandardCharsets.UTF_8));
            request.headers().add("katamari-reply-to", replyTopic.getBytes(StandardCharsets.UTF_8));
            producer.send(request).get();

            List<ConsumerRecord<byte[], byte[]>> got = new ArrayList<>();
            Awaitility.await("reply on " + replyTopic).atMost(Duration.ofSeconds(30)).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(got::add);
                return !got.isEmpty();
            });
            ConsumerRecord<byte[], byte[]> reply = got.get(0);
            assertEquals("k-1", new String(reply.key(), StandardCharsets.UTF_8));
            JsonNode value = WireCodec.parse(reply.value());
            assertEquals("k-1", value.get("id").asText());
            assertEquals("straight from kafka", value.get("result").asText());
            assertEquals(katamari.echoPool().version(),
                    new String(reply.headers().lastHeader("katamari-version").value(), StandardCharsets.UTF_8));
        }
    }
}
