package katamari.it.supervision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import katamari.config.PoolDefinition;
import katamari.config.WorkerSettings;
import katamari.it.support.Beside;
import katamari.it.support.Http;
import katamari.it.support.Http.Response;
import katamari.it.support.KafkaFixture;
import katamari.it.support.Katamari;
import katamari.topics.TopicNames;
import katamari.worker.InstanceStatus;
import katamari.worker.WorkerAgent;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Faults of launching, of the agent itself, and of the way out (replies, drain, death of the agent). */
class AgentFaultsTest {
    @TempDir
    Path tmp;

    private static PoolDefinition faulty(int instances, Duration timeout, Integer maxRequests, String... flags) {
        return Katamari.pool("faulty", Katamari.faultyCommand(flags), instances).withTimeout(timeout).withMaxRequests(maxRequests);
    }

    private static PoolDefinition echo(int instances) {
        return Katamari.pool("echo", Katamari.echoCommand(), instances);
    }

    private static WorkerSettings fastReplies() {
        return Katamari.testWorker().withReplyTimeout(Duration.ofSeconds(1));
    }

    @Test
    void a_chassis_that_exits_before_hello_degrades_its_pool_version_and_its_requests_wait_for_their_deadline() throws Exception {
        try (Katamari k = Katamari.start(List.of(faulty(1, Duration.ofSeconds(30), null, "--exit-before-hello"), echo(1)),
                Katamari.testWorker(), Duration.ofSeconds(20), false);
             Beside beside = Beside.start(k.call("echo", "echo"))) {
            Awaitility.await("degraded").atMost(Duration.ofSeconds(30)).until(() -> k.worker().status().stream()
                    .anyMatch(s -> s.pool().equals("faulty") && s.degraded()));
            InstanceStatus broken = k.worker().status().stream().filter(s -> s.pool().equals("faulty")).findFirst().orElseThrow();
            assertTrue(broken.lastFailure().contains("exited"), broken.lastFailure());
            long t0 = System.nanoTime();
            Response r = Http.post(k.call("faulty", "echo"), "{\"text\":\"x\"}", "Katamari-Timeout-Ms", "1500");
            long waitedMs = (System.nanoTime() - t0) / 1_000_000;
            assertEquals(504, r.status(), r.body().toString());
            assertTrue(waitedMs >= 1400, "a request to a pool-version without instances waits for its deadline, not " + waitedMs + " ms");
        }
    }

    @Test
    void a_command_outside_the_allow_list_is_refused_and_never_run() throws Exception {
        PoolDefinition shell = PoolDefinition.of("shell", "t" + System.nanoTime() % 100000, List.of("/bin/sh", "-c", "echo pwned"))
                .withTimeout(Duration.ofSeconds(5));
        try (Katamari k = Katamari.start(List.of(shell, echo(1)), Katamari.testWorker(), Duration.ofSeconds(20), true);
             Beside beside = Beside.start(k.call("echo", "echo"))) {
            assertTrue(k.worker().refused().get(shell.key()).contains("not in worker.allowedCommands"), k.worker().refused().toString());
            assertTrue(k.worker().status().stream().noneMatch(s -> s.pool().equals("shell")));
            assertEquals(504, Http.post(k.call("shell", "x"), "{}", "Katamari-Timeout-Ms", "500").status());
        }
    }

    @Test
    void an_undeliverable_reply_is_dead_lettered_and_the_agent_keeps_serving() throws Exception {
        PoolDefinition pool = faulty(1, Duration.ofSeconds(30), null);
        try (Katamari k = Katamari.start(List.of(pool), fastReplies(), Duration.ofSeconds(20), true)) {
            Properties p = new Properties();
            p.put("bootstrap.servers", KafkaFixture.bootstrapServers());
            try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
                ProducerRecord<byte[], byte[]> r = new ProducerRecord<>(TopicNames.requests(pool.name(), pool.version()),
                        "{\"method\":\"echo\",\"args\":{\"text\":\"lost?\"}}".getBytes(StandardCharsets.UTF_8));
                r.headers().add("katamari-id", "undeliverable-1".getBytes(StandardCharsets.UTF_8));
                r.headers().add("katamari-reply-to", "no-such-topic".getBytes(StandardCharsets.UTF_8));
                producer.send(r).get();
            }
            ConsumerRecord<byte[], byte[]> dead = firstRecord(TopicNames.dead(pool.name(), pool.version()));
            assertTrue(header(dead, "katamari-failure-reason").startsWith("reply undeliverable"), header(dead, "katamari-failure-reason"));
            assertEquals("undeliverable-1", header(dead, "katamari-id"));
            Response ok = Http.post(k.call("faulty", "echo"), "{\"text\":\"still serving\"}");
            assertEquals(200, ok.status(), ok.body().toString());
        }
    }

    @Test
    void a_request_running_longer_than_its_share_lock_is_renewed_not_redelivered() throws Exception {
        // timeout 8 s → lock 2 s (a quarter); the request runs 5 s on one of two instances
        Path log = tmp.resolve("slow.log");
        try (Katamari k = Katamari.start(List.of(faulty(2, Duration.ofSeconds(8), null)), Katamari.testWorker(), Duration.ofSeconds(20), true)) {
            Response r = Http.post(k.call("faulty", "slow"), "{\"ms\":5000,\"log\":\"" + log + "\"}", "Katamari-Timeout-Ms", "8000");
            assertEquals(200, r.status(), r.body().toString());
            Response after = Http.post(k.call("faulty", "echo"), "{\"text\":\"x\"}");
            assertEquals(200, after.status());
            assertEquals(List.of("run"), Files.readAllLines(log), "the record must not have been handed to the other instance");
        }
    }

    @Test
    void max_requests_recycles_an_instance_without_counting_a_crash() throws Exception {
        try (Katamari k = Katamari.start(List.of(faulty(1, Duration.ofSeconds(30), 2)), Katamari.testWorker(), Duration.ofSeconds(20), true)) {
            long first = Http.post(k.call("faulty", "pid"), "{}").body().get("result").asLong();
            long second = Http.post(k.call("faulty", "pid"), "{}").body().get("result").asLong();
            long third = Http.post(k.call("faulty", "pid"), "{}").body().get("result").asLong();
            assertEquals(first, second);
            assertNotEquals(second, third);
            assertEquals(0, k.worker().status().get(0).restarts());
        }
    }

    @Test
    void draining_an_agent_under_steady_load_fails_no_request() throws Exception {
        try (Katamari k = Katamari.start(List.of(faulty(2, Duration.ofSeconds(30), null)), Katamari.testWorker(), Duration.ofSeconds(20), true)) {
            WorkerAgent other = new WorkerAgent(k.config());
            other.start();
            try {
                assertTrue(other.awaitInstances(Duration.ofSeconds(60)));
                List<Beside> load = new ArrayList<>();
                for (int i = 0; i < 4; i++) {
                    load.add(Beside.start(k.call("faulty", "echo")));
                }
                Awaitility.await("load flowing").atMost(Duration.ofSeconds(10)).until(() -> true);
                CompletableFuture<Response> slow = Http.postAsync(k.call("faulty", "sleep"), "{\"ms\":1000}");
                k.worker().close(); // drain: what it holds is finished, the rest waits in Kafka for the other agent
                assertEquals(200, slow.join().status());
                for (Beside b : load) {
                    b.close();
                }
            } finally {
                other.close();
            }
        }
    }

    @Test
    void kill_9_of_an_agent_hands_its_in_flight_request_to_another_agent_and_leaves_no_orphans() throws Exception {
        PoolDefinition pool = faulty(1, Duration.ofSeconds(30), null);
        PoolDefinition none = pool.withInstances(0);
        Path log = tmp.resolve("runs.log");
        try (Katamari k = Katamari.start(List.of(none), Katamari.testWorker(), Duration.ofSeconds(30), true)) {
            Path yaml = Files.writeString(tmp.resolve("worker.yaml"), String.join("\n",
                    "kafka:", "  bootstrap: " + KafkaFixture.bootstrapServers(),
                    "worker:", "  allowedCommands: [java]",
                    "pools:", "  - name: " + pool.name(), "    version: " + pool.version(), "    instances: 1", "    timeout: 30s",
                    "    command: [" + String.join(", ", pool.command().stream().map(a -> "\"" + a + "\"").toList()) + "]", ""));
            Process agent = new ProcessBuilder("java", "-jar", Katamari.HOME.resolve("launcher/target/katamari.jar").toString(),
                    "worker", "--standalone", "--config", yaml.toString()).redirectErrorStream(true).redirectOutput(tmp.resolve("agent.log").toFile()).start();
            try {
                CompletableFuture<Response> call = Http.postAsync(k.call("faulty", "slow"), "{\"ms\":3000,\"log\":\"" + log + "\"}");
                Awaitility.await("the external agent runs it").atMost(Duration.ofSeconds(60))
                        .until(() -> Files.exists(log) && Files.readAllLines(log).size() == 1);
                List<ProcessHandle> children = agent.descendants().toList();
                assertTrue(children.size() >= 1, "the agent has its chassis running");
                long killedAt = System.nanoTime();
                new ProcessBuilder("kill", "-9", String.valueOf(agent.pid())).start().waitFor();
                Awaitility.await("no orphaned chassis").atMost(Duration.ofSeconds(15))
                        .until(() -> children.stream().noneMatch(ProcessHandle::isAlive));

                WorkerAgent rescuer = new WorkerAgent(k.config().withPools(List.of(pool)));
                rescuer.start();
                try {
                    Response r = call.join();
                    long tookMs = (System.nanoTime() - killedAt) / 1_000_000;
                    assertEquals(200, r.status(), r.body().toString());
                    assertEquals(2, Files.readAllLines(log).size(), "run once by the killed agent, once by the rescuer");
                    System.out.println("MEASURE kill -9 of an agent -> its in-flight request answered by another agent: " + tookMs + " ms");
                } finally {
                    rescuer.close();
                }
            } finally {
                agent.destroyForcibly();
            }
        }
    }

    private static ConsumerRecord<byte[], byte[]> firstRecord(String topic) {
        Properties p = new Properties();
        p.put("bootstrap.servers", KafkaFixture.bootstrapServers());
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            TopicPartition tp = new TopicPartition(topic, 0);
            c.assign(List.of(tp));
            c.seekToBeginning(List.of(tp));
            List<ConsumerRecord<byte[], byte[]>> seen = new ArrayList<>();
            Awaitility.await("a record on " + topic).atMost(Duration.ofSeconds(30)).until(() -> {
                c.poll(Duration.ofMillis(200)).forEach(seen::add);
                return !seen.isEmpty();
            });
            return seen.get(0);
        }
    }

    private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
        var h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }
}
