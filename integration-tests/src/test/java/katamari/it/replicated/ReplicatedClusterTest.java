package katamari.it.replicated;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Collectors;
import katamari.it.support.Http;
import katamari.it.support.Katamari;
import katamari.localcluster.ClusterLayout;
import katamari.localcluster.LocalCluster;
import katamari.localcluster.RoleKind;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The replicated cluster {@code bin/katamari cluster} runs, through {@link LocalCluster}: 3 KRaft brokers, 3
 * dispatchers, 2 workers, 2 gateways, every role its own JVM, with the shipped etc/katamari-cluster.yaml (its pools
 * cut down to one echo pool so the box has cores left for the roles).
 *
 * <p>Set {@code -Dkatamari.it.kafkaDefaults=true} to run the brokers with Kafka's own failure-detection defaults
 * instead of the shipped ones, to compare the time to the first answer after a broker kill.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ReplicatedClusterTest {
    private static final String REQUESTS = "katamari.requests.echo.v1";
    /** Kafka 4.4's own values of what ServerProperties.forNode tunes for failure detection. */
    private static final Map<String, String> KAFKA_DEFAULTS = Map.of("broker.session.timeout.ms", "9000",
            "broker.heartbeat.interval.ms", "2000", "controller.quorum.fetch.timeout.ms", "2000",
            "controller.quorum.election.timeout.ms", "1000", "controller.quorum.request.timeout.ms", "2000",
            "replica.lag.time.max.ms", "30000");
    private static final Path dir = Path.of("target", "replicated-cluster").toAbsolutePath();
    private static LocalCluster cluster;

    @BeforeAll
    static void startCluster() throws IOException {
        Files.createDirectories(dir);
        deleteTree(dir.resolve("kafka"));
        String shipped = Files.readString(Katamari.HOME.resolve("etc/katamari-cluster.yaml"));
        String echo = Katamari.echoCommand().stream().map(a -> "\"" + a + "\"").collect(Collectors.joining(", "));
        Path config = Files.writeString(dir.resolve("katamari-cluster.yaml"), shipped.substring(0, shipped.indexOf("\npools:") + 1) + """
                pools:
                  - name: echo
                    version: v1
                    command: [%s]
                    instances: 2
                    timeout: 30s
                    attempts: 2
                """.formatted(echo));
        ClusterLayout layout = ClusterLayout.standard(freeBlock(), dir, Katamari.HOME).withConfig(config)
                .withJavaOptions(List.of("-Xmx192m"));
        if (Boolean.getBoolean("katamari.it.kafkaDefaults")) {
            layout = layout.withBrokerOverrides(KAFKA_DEFAULTS);
        }
        long t0 = System.nanoTime();
        cluster = new LocalCluster(layout).start(line -> System.out.println("CLUSTER " + line));
        System.out.printf("CLUSTER ready in %.1f s%n", (System.nanoTime() - t0) / 1e9);
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    @Order(1)
    void both_gateways_answer_and_every_role_is_listed_in_roles_json() throws IOException {
        for (String gateway : cluster.gatewayUrls()) {
            Http.Response r = Http.post(gateway + "/pools/echo/echo", "{\"text\":\"via " + gateway + "\"}");
            assertEquals(200, r.status(), r.body().toString());
            assertEquals("via " + gateway, r.body().path("result").asText());
        }
        String roles = Files.readString(cluster.rolesFile());
        for (var role : cluster.roles()) {
            assertTrue(roles.contains("\"" + role.name() + "\"") && roles.contains(String.valueOf(role.pid())), role.name());
        }
        assertEquals(3, cluster.roles(RoleKind.BROKER).size());
    }

    @Test
    @Order(1)
    void katamaris_topics_are_replicated_3_times_and_carry_min_isr_2_set_by_katamari() throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrap()))) {
            for (String topic : List.of(REQUESTS, "katamari.dead.echo.v1", "katamari.replies.gateway-1")) {
                assertEquals(3, admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().get(0).replicas().size(), topic);
                ConfigEntry minIsr = admin.describeConfigs(List.of(new ConfigResource(ConfigResource.Type.TOPIC, topic))).all().get()
                        .values().iterator().next().get("min.insync.replicas");
                assertEquals("2", minIsr.value(), topic);
                assertEquals(ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG, minIsr.source(), topic + ": set on the topic, not the broker's default");
            }
        }
    }

    @Test
    @Order(2)
    void answers_resume_after_a_kill_9_of_the_broker_leading_the_request_partition() throws Exception {
        int leader = leaderOf(REQUESTS);
        System.out.printf("CLUSTER %s leads %s; the share-state topic's leader is broker-%d%n",
                cluster.brokerName(leader), REQUESTS, leaderOf("__share_group_state"));
        try (Callers callers = new Callers(cluster.gatewayUrls(), 4)) {
            Awaitility.await("steady answers").atMost(Duration.ofSeconds(30)).until(() -> callers.answered() > 20);
            long killedAt = System.nanoTime();
            cluster.kill9(cluster.brokerName(leader));
            Awaitility.await("an answer to a request sent after the kill").atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(20)).until(() -> callers.firstAnswerSentAfter(killedAt) > 0);
            long gapMs = (callers.firstAnswerSentAfter(killedAt) - killedAt) / 1_000_000;
            long answeredAt = callers.answered();
            Awaitility.await("answers go on").atMost(Duration.ofSeconds(30)).until(() -> callers.answered() > answeredAt + 20);
            System.out.printf("CLUSTER first answer %d ms after kill -9 of %s (%s); %s%n", gapMs, cluster.brokerName(leader),
                    Boolean.getBoolean("katamari.it.kafkaDefaults") ? "Kafka's default failure detection" : "shipped settings", callers);
            assertEquals(0, callers.wrong(), "no answer is someone else's");
            if (!Boolean.getBoolean("katamari.it.kafkaDefaults")) {
                // the target is 5 s; 8 s leaves a loaded CI box room and still fails with Kafka's defaults (9-12 s)
                assertTrue(gapMs < 8_000, "answers resumed " + gapMs + " ms after the kill");
            }
        }
        cluster.restart(cluster.brokerName(leader));
        Http.Response r = Http.post(cluster.gatewayUrls().get(0) + "/pools/echo/echo", "{\"text\":\"after restart\"}");
        assertEquals("after restart", r.body().path("result").asText(), r.body().toString());
    }

    @Test
    @Order(3)
    void a_worker_killed_and_restarted_with_its_configured_id_comes_back_as_itself() {
        cluster.kill9("worker-1");
        Awaitility.await("the masters evict worker-1").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .until(() -> workerIds().equals(java.util.Set.of("worker-2")));
        cluster.restart("worker-1");
        Awaitility.await("worker-1 is back, and no other id").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                .until(() -> workerIds().equals(java.util.Set.of("worker-1", "worker-2")));
        Awaitility.await("echo answers through the gateway").atMost(Duration.ofSeconds(30)).ignoreExceptions()
                .until(() -> "still here".equals(Http.post(cluster.gatewayUrls().get(1) + "/pools/echo/echo", "{\"text\":\"still here\"}")
                        .body().path("result").asText()));
    }

    private static java.util.Set<String> workerIds() {
        var view = cluster.clusterView();
        java.util.Set<String> ids = new java.util.TreeSet<>();
        if (view != null) {
            view.path("workers").forEach(w -> ids.add(w.path("id").asText()));
        }
        return ids;
    }

    private static int leaderOf(String topic) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrap()))) {
            TopicDescription d = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
            return d.partitions().get(0).leader().id();
        }
    }

    /** A block of 60 free ports for the cluster, away from the well-known ones others use. */
    private static int freeBlock() {
        for (int attempt = 0; attempt < 50; attempt++) {
            int base = 20_000 + 60 * ThreadLocalRandom.current().nextInt(600);
            boolean free = true;
            for (int p = base; p < base + 60 && free; p++) {
                try (ServerSocket s = new ServerSocket(p, 1, InetAddress.getByName("127.0.0.1"))) {
                    free = true;
                } catch (IOException e) {
                    free = false;
                }
            }
            if (free) {
                return base;
            }
        }
        throw new IllegalStateException("no block of 60 free ports");
    }

    private static void deleteTree(Path p) throws IOException {
        if (Files.exists(p)) {
            try (var paths = Files.walk(p)) {
                paths.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }
}
