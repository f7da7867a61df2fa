package katamari.it.faceplates;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import katamari.dispatcher.rollout.AdminClient;
import katamari.dispatcher.rollout.Rollout;
import katamari.it.support.Http;
import katamari.it.support.InProcessCluster;
import katamari.it.support.Katamari;
import katamari.topics.WireCodec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rolling upgrades under steady load ({@code bin/katamari rollout}'s logic against a real master, worker and gateway):
 * a good new version is promoted and the old one retired with no failed request; a bad one is rolled back by itself,
 * and only the calls the bad version itself answered failed.
 */
class RolloutTest {
    private static InProcessCluster cluster;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() {
        cluster = InProcessCluster.start(Katamari.gateway(Duration.ofSeconds(20)));
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static Rollout rollout(PrintStream out) {
        return new Rollout(new AdminClient(cluster.adminUrl(), InProcessCluster.ADMIN_KEY), out,
                new Rollout.Settings(List.of(25, 50, 100), Duration.ofSeconds(2), 0.05, 5, Duration.ofSeconds(60), Duration.ofSeconds(20), true));
    }

    private static void deploy(String pool) {
        Http.Response r = cluster.admin("PUT", "/pools/" + pool + "/v1", InProcessCluster.poolBody(Katamari.echoCommand(), 2, 1));
        assertEquals(201, r.status(), r.body().toString());
        cluster.awaitAvailable(pool, "v1", 2);
    }

    @Test
    void a_good_version_is_promoted_and_the_old_one_retired_without_a_failed_request() throws Exception {
        deploy("roll");
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        Rollout.Result result;
        try (Load load = new Load(cluster.url("/pools/roll/echo"), 4)) {
            result = rollout(new PrintStream(log, true, StandardCharsets.UTF_8)).run("roll", "v2", null);
            load.awaitMore(20);
            load.assertNoFailures();
            assertTrue(load.answeredBy("v1") > 0 && load.answeredBy("v2") > 0, load.toString());
        }
        System.out.print(log.toString(StandardCharsets.UTF_8));
        assertTrue(result.promoted(), result.message());
        JsonNode pool = cluster.admin("GET", "/pools/roll", null).body();
        assertEquals(1, pool.path("versions").size(), "v1 retired: " + pool);
        assertEquals("v2", pool.path("versions").path(0).path("version").asText());
        assertEquals(404, Http.post(cluster.url("/pools/roll/echo?version=v1"), "{\"text\":\"x\"}").status(), "v1 is gone");
        cluster.admin("DELETE", "/pools/roll", null);
    }

    @Test
    void a_failing_version_is_rolled_back_by_itself_and_only_its_own_answers_failed() throws Exception {
        deploy("back");
        Path bad = Files.writeString(dir.resolve("bad_echo.py"), """
                import sys
                sys.path.insert(0, %s)
                import katamari_chassis as katamari
                chassis = katamari.kind("bad")

                @chassis.handle("echo", "text")
                def echo(args):
                    raise RuntimeError("this version is broken")

                chassis.run()
                """.formatted(WireCodec.mapper().writeValueAsString(Katamari.HOME.resolve("chassis/python").toString())));
        JsonNode definition = WireCodec.parse(InProcessCluster.poolBody(List.of("python3", bad.toString()), 1, 0));
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        Rollout.Result result;
        try (Load load = new Load(cluster.url("/pools/back/echo"), 4)) {
            result = rollout(new PrintStream(log, true, StandardCharsets.UTF_8)).run("back", "v2", definition);
            int failedDuringRollout = load.failures.size();
            load.awaitMore(20);
            assertEquals(failedDuringRollout, load.failures.size(), "no failure after the rollback: " + load.failures);
            assertTrue(load.failures.stream().allMatch(f -> f.startsWith("v2 ")), "only the bad version's own answers failed: " + load.failures);
            assertFalse(load.failures.isEmpty(), "the bad version did take (and fail) some traffic");
        }
        System.out.print(log.toString(StandardCharsets.UTF_8));
        assertFalse(result.promoted());
        assertTrue(result.message().contains("rolled back"), result.message());
        JsonNode pool = cluster.admin("GET", "/pools/back", null).body();
        assertEquals(1, pool.path("versions").size(), "v2 deleted: " + pool);
        assertEquals(Map.of("v1", 1), Map.of(pool.path("versions").path(0).path("version").asText(), pool.path("versions").path(0).path("weight").asInt()));
        cluster.admin("DELETE", "/pools/back", null);
    }

    /** Steady load: a few callers sending echo requests one after another (closed loop), every answer checked and attributed. */
    private static final class Load implements AutoCloseable {
        final List<String> failures = new CopyOnWriteArrayList<>();
        private final Map<String, AtomicInteger> ok = new ConcurrentHashMap<>();
        private final AtomicInteger total = new AtomicInteger();
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final List<Thread> threads = new ArrayList<>();

        Load(String url, int callers) {
            for (int c = 0; c < callers; c++) {
                int caller = c;
                Thread t = new Thread(() -> {
                    int n = 0;
                    while (running.get()) {
                        String text = "c" + caller + "-" + n++;
                        Http.Response r = Http.post(url, "{\"text\":\"" + text + "\"}");
                        String version = r.header("Katamari-Version");
                        if (r.status() == 200 && text.equals(r.body().path("result").asText())) {
                            ok.computeIfAbsent(version, v -> new AtomicInteger()).incrementAndGet();
                        } else {
                            failures.add(version + " " + r.status() + " " + r.body());
                        }
                        total.incrementAndGet(); // each caller waits for its answer: the load paces itself
                    }
                }, "load-" + c);
                t.setDaemon(true);
                threads.add(t);
                t.start();
            }
        }

        int answeredBy(String version) {
            AtomicInteger n = ok.get(version);
            return n == null ? 0 : n.get();
        }

        void awaitMore(int n) {
            int target = total.get() + n;
            org.awaitility.Awaitility.await(n + " more requests answered").atMost(Duration.ofSeconds(20)).until(() -> total.get() >= target);
        }

        void assertNoFailures() {
            assertEquals(List.of(), failures);
        }

        @Override
        public String toString() {
            return "answered " + ok + ", failed " + failures.size();
        }

        @Override
        public void close() throws InterruptedException {
            running.set(false);
            for (Thread t : threads) {
                t.join(30_000);
            }
        }
    }
}
