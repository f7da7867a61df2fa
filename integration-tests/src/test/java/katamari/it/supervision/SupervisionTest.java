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
import katamari.it.support.Beside;
import katamari.it.support.Http;
import katamari.it.support.Http.Response;
import katamari.it.support.KafkaFixture;
import katamari.it.support.Katamari;
import katamari.topics.TopicNames;
import katamari.worker.InstanceStatus;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The worker agent against a real misbehaving chassis (examples/faulty) and real signals. Two instances, two
 * attempts per request; every test also keeps well-behaved requests flowing and requires all of them to succeed.
 */
class SupervisionTest {
    private static Katamari katamari;

    @TempDir
    Path tmp;

    @BeforeAll
    static void start() {
        PoolDefinition faulty = Katamari.pool("faulty", Katamari.faultyCommand(), 2).withMaxRssMb(200);
        katamari = Katamari.start(List.of(faulty, Katamari.pool("echo", Katamari.echoCommand(), 1)), Katamari.testWorker(),
                Duration.ofSeconds(25), true);
    }

    @AfterAll
    static void stop() {
        katamari.close();
    }

    private static String url(String method) {
        return katamari.call("faulty", method);
    }

    private static List<Long> pids() {
        return faultyStatus().stream().filter(s -> s.state() != InstanceStatus.State.STOPPED)
                .map(InstanceStatus::pid).filter(p -> p > 0).toList();
    }

    private static void awaitTwoLiveInstances() {
        Awaitility.await("two idle instances").atMost(Duration.ofSeconds(30)).until(() -> faultyStatus().stream()
                .filter(s -> s.state() == InstanceStatus.State.IDLE).count() == 2);
    }

    private static List<InstanceStatus> faultyStatus() {
        return katamari.worker().status().stream().filter(s -> s.pool().equals("faulty")).toList();
    }

    @Test
    void a_crash_mid_request_is_released_and_retried_on_a_fresh_instance() throws Exception {
        awaitTwoLiveInstances();
        try (Beside beside = Beside.start(url("echo"))) {
            Response r = Http.post(url("crash_once"), "{\"marker\":\"" + tmp.resolve("m") + "\"}");
            assertEquals(200, r.status(), r.body().toString());
            assertEquals("survived the retry", r.body().get("result").asText());
        }
    }

    @Test
    void a_request_that_crashes_every_attempt_is_dead_lettered_and_answered_instance_crashed() throws Exception {
        awaitTwoLiveInstances();
        long before = System.currentTimeMillis();
        try (Beside beside = Beside.start(url("echo"))) {
            Response r = Http.post(url("crash"), "{}");
            assertEquals(502, r.status(), r.body().toString());
            assertEquals("instance_crashed", r.errorCode());
            ConsumerRecord<byte[], byte[]> dead = deadLetterAfter(before, r.body().get("id").asText());
            assertEquals("crashed", header(dead, "katamari-failure-reason"));
            assertEquals("2", header(dead, "katamari-failure-attempts"));
            assertTrue(header(dead, "katamari-instance").startsWith(katamari.worker().id()));
        }
        awaitTwoLiveInstances();
    }

    @Test
    void kill_9_of_a_busy_instance_is_a_crash_and_the_request_is_answered_by_another() throws Exception {
        awaitTwoLiveInstances();
        Path log = tmp.resolve("pids.log");
        try (Beside beside = Beside.start(url("echo"))) {
            // the call writes its instance's pid before it sleeps: the one killed holds this request, never the
            // beside-load's
            CompletableFuture<Response> slow = Http.postAsync(url("note_pid_and_sleep"), "{\"ms\":1500,\"log\":\"" + log + "\"}");
            String holder = Awaitility.await("the request runs").atMost(Duration.ofSeconds(10))
                    .until(() -> Files.exists(log) ? Files.readString(log) : "", p -> p.endsWith("\n")).strip();
            new ProcessBuilder("kill", "-9", holder).start().waitFor();
            Response r = slow.join();
            assertEquals(200, r.status(), r.body().toString());
            List<String> runs = Files.readAllLines(log);
            assertEquals(2, runs.size(), "run by the killed instance, then again after the crash: " + runs);
            assertEquals(holder, runs.get(0));
            assertEquals(runs.get(1), r.body().path("result").asText(), "answered by the second run");
            assertNotEquals(holder, runs.get(1), "the second run is on another instance");
        }
    }

    @Test
    void a_request_hanging_past_its_deadline_is_answered_timeout_its_instance_killed_and_it_is_not_retried() throws Exception {
        awaitTwoLiveInstances();
        Path log = tmp.resolve("hang.log");
        List<Long> before = pids();
        try (Beside beside = Beside.start(url("echo"))) {
            Response r = Http.post(url("hang"), "{\"log\":\"" + log + "\"}", "Katamari-Timeout-Ms", "1500");
            assertEquals(504, r.status(), r.body().toString());
            Awaitility.await("hung instance killed").atMost(Duration.ofSeconds(10))
                    .until(() -> before.stream().anyMatch(p -> ProcessHandle.of(p).map(h -> !h.isAlive()).orElse(true)));
            awaitTwoLiveInstances();
        }
        assertEquals(List.of("called"), Files.readAllLines(log), "a timed-out request must not be run again");
    }

    @Test
    void an_idle_instance_deaf_to_pings_is_killed_and_replaced() throws Exception {
        awaitTwoLiveInstances();
        // beside-load on another pool of the same agent: a request handed to the deaf instance before the ping
        // finds it out would be a hang on a request (tested above), not the idle case under test here
        try (Beside beside = Beside.start(katamari.call("echo", "echo"))) {
            long deaf = Http.post(url("go_deaf"), "{}").body().get("result").asLong();
            Awaitility.await("deaf instance killed").atMost(Duration.ofSeconds(20))
                    .until(() -> ProcessHandle.of(deaf).map(h -> !h.isAlive()).orElse(true));
            awaitTwoLiveInstances();
        }
    }

    @Test
    void an_instance_over_its_memory_limit_is_killed_and_its_request_counts_as_a_crash() throws Exception {
        awaitTwoLiveInstances();
        try (Beside beside = Beside.start(url("echo"))) {
            Response r = Http.post(url("leak"), "{\"mb\":400}");
            assertEquals(502, r.status(), r.body().toString());
            assertEquals("instance_crashed", r.errorCode());
            assertTrue(r.body().path("error").path("message").asText().contains("maxRssMb"), r.body().toString());
        }
        awaitTwoLiveInstances();
    }

    @Test
    void garbage_on_stdout_restarts_the_instance_and_releases_the_record() throws Exception {
        awaitTwoLiveInstances();
        try (Beside beside = Beside.start(url("echo"))) {
            Response r = Http.post(url("garbage"), "{}");
            assertEquals(502, r.status(), r.body().toString());
            assertTrue(r.body().path("error").path("message").asText().contains("not protocol"), r.body().toString());
            Response wrong = Http.post(url("wrong_id"), "{}");
            assertEquals(502, wrong.status(), wrong.body().toString());
            assertTrue(wrong.body().path("error").path("message").asText().contains("not-the-one"), wrong.body().toString());
        }
        awaitTwoLiveInstances();
    }

    @Test
    void return_and_exit_replaces_the_instance_without_counting_a_crash() throws Exception {
        awaitTwoLiveInstances();
        int restartsBefore = faultyStatus().stream().mapToInt(InstanceStatus::restarts).sum();
        try (Beside beside = Beside.start(url("echo"))) {
            long pid = Http.post(url("bye"), "{}").body().get("result").asLong();
            Awaitility.await("recycled").atMost(Duration.ofSeconds(10)).until(() -> !pids().contains(pid) && pids().size() == 2);
        }
        awaitTwoLiveInstances();
        assertEquals(restartsBefore, faultyStatus().stream().mapToInt(InstanceStatus::restarts).sum());
    }

    @Test
    void a_chatty_instance_cannot_stall_its_answers() {
        Response r = Http.post(url("chatter"), "{\"lines\":20000}");
        assertEquals(200, r.status(), r.body().toString());
        assertEquals(20000, r.body().get("result").asInt());
    }

    private static ConsumerRecord<byte[], byte[]> deadLetterAfter(long since, String id) {
        Properties p = new Properties();
        p.put("bootstrap.servers", KafkaFixture.bootstrapServers());
        String topic = TopicNames.dead("faulty", katamari.pool("faulty").version());
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            TopicPartition tp = new TopicPartition(topic, 0);
            c.assign(List.of(tp));
            c.seekToBeginning(List.of(tp));
            List<ConsumerRecord<byte[], byte[]>> seen = new ArrayList<>();
            return Awaitility.await("dead letter for " + id).atMost(Duration.ofSeconds(20)).until(() -> {
                c.poll(Duration.ofMillis(200)).forEach(seen::add);
                return seen.stream().filter(r -> id.equals(header(r, "katamari-id")) && r.timestamp() >= since - 1000).findFirst().orElse(null);
            }, r -> r != null);
        }
    }

    private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
        var h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }
}
