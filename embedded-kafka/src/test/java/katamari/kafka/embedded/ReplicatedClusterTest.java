package katamari.kafka.embedded;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three nodes of {@link EmbeddedKafka#startNode} as three JVMs on 127.0.0.1, as an operator runs them, and a
 * real kill -9 of the one leading a topic. {@code -Dkatamari.it.kafkaDefaults=true} runs the nodes with Kafka's own
 * failure-detection defaults instead, to compare.
 */
class ReplicatedClusterTest {
    private static final boolean KAFKA_DEFAULTS = Boolean.getBoolean("katamari.it.kafkaDefaults");
    private static final int NODES = 3;
    @TempDir
    static Path dir;
    private static final Map<Integer, Process> nodes = new LinkedHashMap<>();
    private static final Map<Integer, Integer> brokerPorts = new LinkedHashMap<>();
    private static String bootstrap;

    @BeforeAll
    static void startThreeNodes() throws Exception {
        List<Integer> ports = freePorts(2 * NODES);
        Map<Integer, Integer> controllers = new LinkedHashMap<>();
        for (int id = 1; id <= NODES; id++) {
            brokerPorts.put(id, ports.get(id - 1));
            controllers.put(id, ports.get(NODES + id - 1));
        }
        String voters = controllers.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(","));
        for (int id = 1; id <= NODES; id++) {
            nodes.put(id, new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx256m", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"), NodeMain.class.getName(),
                    String.valueOf(id), String.valueOf(brokerPorts.get(id)), dir.resolve("node-" + id).toString(), voters,
                    KAFKA_DEFAULTS ? "broker.session.timeout.ms=9000;broker.heartbeat.interval.ms=2000;controller.quorum.fetch.timeout.ms=2000;"
                            + "controller.quorum.election.timeout.ms=1000;controller.quorum.request.timeout.ms=2000;replica.lag.time.max.ms=30000" : "")
                    .redirectErrorStream(true).redirectOutput(dir.resolve("node-" + id + ".log").toFile()).start());
        }
        bootstrap = brokerPorts.values().stream().map(p -> "127.0.0.1:" + p).collect(Collectors.joining(","));
        for (int id = 1; id <= NODES; id++) {
            Path log = dir.resolve("node-" + id + ".log");
            Process p = nodes.get(id);
            Awaitility.await("node " + id + " ready").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(100))
                    .failFast("node exited", () -> !p.isAlive())
                    .until(() -> java.nio.file.Files.readString(log).contains("ready "));
        }
    }

    @AfterAll
    static void stopNodes() throws InterruptedException {
        for (Process p : nodes.values()) {
            // before the temporary folder they write into is deleted
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void topics_are_replicated_three_times_and_need_two_in_sync_replicas_by_default() throws Exception {
        try (Admin admin = admin()) {
            admin.createTopics(List.of(new NewTopic("defaults", java.util.Optional.empty(), java.util.Optional.empty()))).all().get();
            TopicDescription d = admin.describeTopics(List.of("defaults")).allTopicNames().get().get("defaults");
            assertEquals(3, d.partitions().get(0).replicas().size());
            String minIsr = admin.describeConfigs(List.of(new org.apache.kafka.common.config.ConfigResource(
                    org.apache.kafka.common.config.ConfigResource.Type.TOPIC, "defaults"))).all().get().values().iterator().next()
                    .get("min.insync.replicas").value();
            assertEquals("2", minIsr);
        }
    }

    @Test
    void acks_all_writes_resume_within_seconds_of_a_kill_9_of_the_leader_and_none_acknowledged_is_lost() throws Exception {
        String topic = "killed-leader";
        int leader;
        try (Admin admin = admin()) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 3))).all().get();
            // the broker that answers the creation may know the topic before the others do
            TopicDescription d = Awaitility.await("all 3 replicas in sync").atMost(Duration.ofSeconds(30)).ignoreExceptions()
                    .until(() -> admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic),
                            t -> t.partitions().get(0).isr().size() == 3);
            leader = d.partitions().get(0).leader().id();
        }
        Set<String> acknowledged = new HashSet<>();
        long gapMs;
        try (KafkaProducer<String, String> producer = producer()) {
            for (int i = 0; i < 50; i++) {
                producer.send(new ProducerRecord<>(topic, "before-" + i)).get();
                acknowledged.add("before-" + i);
            }
            long killedAt = System.nanoTime();
            nodes.get(leader).destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            String first = "after-0";
            producer.send(new ProducerRecord<>(topic, first)).get(30, TimeUnit.SECONDS);
            gapMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
            acknowledged.add(first);
            for (int i = 1; i < 20; i++) {
                producer.send(new ProducerRecord<>(topic, "after-" + i)).get(10, TimeUnit.SECONDS);
                acknowledged.add("after-" + i);
            }
        }
        System.out.printf("KRAFT first acks=all write acknowledged %d ms after kill -9 of leader node %d (%s)%n", gapMs, leader,
                KAFKA_DEFAULTS ? "Kafka's defaults" : "shipped settings");
        // measured 2.8-4.1 s with the shipped settings on a loaded 2-core box (the target is 5 s), 9-12 s with Kafka's
        // defaults; 8 s leaves a busy CI box room and still tells the two apart
        assertTrue(KAFKA_DEFAULTS || gapMs < 8_000, "writes resumed " + gapMs + " ms after the kill");
        assertEquals(acknowledged, readAll(topic));
    }

    private static Set<String> readAll(String topic) {
        Set<String> seen = new HashSet<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName(),
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName()))) {
            TopicPartition tp = new TopicPartition(topic, 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            Awaitility.await("all acknowledged records read").atMost(Duration.ofSeconds(30)).until(() -> {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    seen.add(r.value());
                }
                return seen.size() >= 70;
            });
        }
        return seen;
    }

    private static KafkaProducer<String, String> producer() {
        return new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.RETRY_BACKOFF_MS_CONFIG, 50,
                ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 2_000,
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000,
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName(),
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName()));
    }

    private static Admin admin() {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap));
    }

    private static List<Integer> freePorts(int n) throws IOException {
        List<ServerSocket> held = new ArrayList<>();
        try {
            for (int i = 0; i < n; i++) {
                held.add(new ServerSocket(0, 1, InetAddress.getLoopbackAddress()));
            }
            return held.stream().map(ServerSocket::getLocalPort).toList();
        } finally {
            for (ServerSocket s : held) {
                s.close();
            }
        }
    }
}
