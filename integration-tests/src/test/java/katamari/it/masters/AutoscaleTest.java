package katamari.it.masters;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.hazelcast.core.HazelcastInstance;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import katamari.cluster.HazelcastSetup;
import katamari.config.KatamariConfig;
import katamari.dispatcher.Dispatcher;
import katamari.dispatcher.rollout.AdminClient;
import katamari.gateway.Gateway;
import katamari.it.support.FreePorts;
import katamari.it.support.Http;
import katamari.it.support.Katamari;
import katamari.worker.WorkerAgent;
import katamari.worker.membership.WorkerMembership;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Autoscaling end to end: two dispatchers in this JVM (CP member count 0), one worker (capacity 8) and one gateway
 * joined as Hazelcast clients, the shared broker, and the Python wordcount chassis's {@code sleep} (100 ms a call) as
 * real processes. One pool-version of 1..4 instances goes up under a backlog, down under light load and when idle, and
 * up again across the loss of its master; no request may fail at any point.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AutoscaleTest {
    private static final String KEY = "k-" + UUID.randomUUID();
    private static final String POOL = "as" + UUID.randomUUID().toString().substring(0, 6);
    /** The same chassis at a fixed {@link #MAX} instances: what this box serves with max instances at the same moment. */
    private static final String FIXED = POOL + "fixed";
    /** Answers of the grown pool its rate is measured over: 5 s at the ideal 40/s. */
    private static final long MEASURED = 200;
    private static final int MAX = 4;
    private static final int HANDLER_MS = 100;
    /** Four callers per instance at max, as the bench's scale-out keeps outstanding: at max the backlog never runs dry. */
    private static final int BACKLOG_CALLERS = 4 * MAX;
    private static KatamariConfig base;
    private static final List<Dispatcher> dispatchers = new ArrayList<>();
    private static int[] adminPorts;
    private static HazelcastInstance workerClient;
    private static HazelcastInstance gatewayClient;
    private static WorkerAgent worker;
    private static WorkerMembership membership;
    private static Gateway gateway;

    @BeforeAll
    static void start() throws InterruptedException {
        int[] memberPorts = FreePorts.pick(2);
        adminPorts = FreePorts.pick(2);
        List<String> members = List.of("127.0.0.1:" + memberPorts[0], "127.0.0.1:" + memberPorts[1]);
        base = Katamari.testConfig().withGateway(Katamari.gateway(Duration.ofSeconds(20)))
                .withWorker(Katamari.testWorker().withAllowedCommands(List.of("python3")))
                .withCluster(Katamari.testCluster(memberPorts[0], adminPorts[0], KEY).withMembers(members));
        for (int i = 0; i < 2; i++) {
            dispatchers.add(new Dispatcher(base.withCluster(base.cluster().withMember("127.0.0.1", memberPorts[i], adminPorts[i]))));
            dispatchers.get(i).start();
        }
        Awaitility.await("the first on the list leads").atMost(Duration.ofSeconds(30)).until(() -> dispatchers.get(0).isLeader());
        workerClient = HazelcastSetup.startClient(base.cluster(), "it-worker");
        worker = new WorkerAgent(base);
        worker.startEmpty();
        membership = new WorkerMembership(worker, workerClient, base.cluster());
        membership.start();
        gatewayClient = HazelcastSetup.startClient(base.cluster(), "it-gateway");
        gateway = new Gateway(base, gatewayClient);
        gateway.start();
        Awaitility.await("gateway ready").atMost(Duration.ofSeconds(30)).until(gateway::isReady);
        String argv = Katamari.python("wordcount/wordcount.py").stream().map(a -> "\"" + a + "\"").collect(Collectors.joining(","));
        // quick delays keep the test short (the defaults, 2 s and 30 s, are for production); pipeline: without it an
        // instance waits for its agent's turnaround after each call, which cost a fifth of each 100-ms call on this
        // box (docs/benchmarks.md, scale-out), and the rate asked for is 90 % of the ideal
        AdminClient.Reply r = admin(0).call("PUT", "/pools/" + POOL + "/v1", "{\"command\":[" + argv + "],\"instances\":1,\"timeout\":\"20s\",\"pipeline\":true,"
                + "\"autoscale\":{\"min\":1,\"max\":" + MAX + ",\"growAfter\":\"1s\",\"shrinkAfter\":\"2s\"}}");
        assertEquals(201, r.status(), r.body().toString());
        r = admin(0).call("PUT", "/pools/" + FIXED + "/v1", "{\"command\":[" + argv + "],\"instances\":" + MAX + ",\"timeout\":\"20s\",\"pipeline\":true}");
        assertEquals(201, r.status(), r.body().toString());
        awaitInstances("one instance runs", 1, Duration.ofSeconds(60));
        // a pool that has served before: the first calls of a new share group and a cold JVM are slower (measured
        // here: 37-67 % of the ideal rate right after creation, 93 % once warm, a fixed pool of 4 at the same time 92 %)
        try (Load warm = Load.start(1); Load warmFixed = Load.start(MAX, FIXED)) {
            Awaitility.await("warmed up").atMost(Duration.ofSeconds(30)).until(() -> warm.ok() >= 20 && warmFixed.ok() >= 20 * MAX);
        }
        awaitInstances("back to one instance after the warm-up (one caller may already keep it busy enough to grow)", 1, Duration.ofSeconds(20));
    }

    @AfterAll
    static void stop() {
        if (gateway != null) {
            gateway.close();
            gatewayClient.shutdown();
        }
        if (membership != null) {
            membership.close();
            worker.close();
            workerClient.shutdown();
        }
        dispatchers.forEach(Dispatcher::close);
    }

    @Test
    @Order(1)
    void a_backlog_grows_the_pool_to_max_within_15_s_where_it_serves_as_a_fixed_pool_of_max_does_and_idle_it_returns_to_min() throws Exception {
        try (Load load = Load.start(BACKLOG_CALLERS)) {
            long t0 = System.nanoTime();
            awaitInstances("grown to " + MAX, MAX, Duration.ofSeconds(15));
            long grewMs = (System.nanoTime() - t0) / 1_000_000;
            JsonNode v = version(1);
            assertTrue(v.path("autoscale").path("lastChange").path("reason").asText().startsWith("grow: "), v.toString());
            // the gateway's /stats shows the count the masters set and why, from the metadata
            Awaitility.await("the gateway's stats show the growth").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).until(() -> {
                JsonNode scaling = Http.get("http://127.0.0.1:" + gateway.port() + "/stats").body().path("pools").path(POOL).path("v1").path("autoscale");
                return scaling.path("instances").asInt() == MAX && scaling.path("max").asInt() == MAX
                        && scaling.path("lastChange").path("reason").asText().startsWith("grow: ");
            });
            // the rate of max instances once every one of them has been busy for a moment, beside a fixed pool of max
            // instances measured over the same seconds. Issue 20 asks for 90 % of the ideal: with the suite alone on the
            // box it measured 98-100 %; under other builds' load (load average 10-20) 76-93 %, the fixed pool the same,
            // so a failure of the first check with the second passing points at the box, not the scaler
            long grown = load.ok();
            Awaitility.await("every grown instance answered again").atMost(Duration.ofSeconds(10)).until(() -> load.ok() >= grown + 2L * MAX);
            try (Load fixed = Load.start(BACKLOG_CALLERS, FIXED)) {
                Awaitility.await("the fixed pool answers").atMost(Duration.ofSeconds(10)).until(() -> fixed.ok() >= 2L * MAX);
                long before = load.ok();
                long fixedBefore = fixed.ok();
                long m0 = System.nanoTime();
                // the window ends after the grown pool's next 200 answers (5 s at the ideal rate), not after a fixed time
                Awaitility.await("200 answers of the grown pool").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(20))
                        .until(() -> load.ok() >= before + MEASURED);
                double seconds = (System.nanoTime() - m0) / 1e9;
                double rate = (load.ok() - before) / seconds;
                double fixedRate = (fixed.ok() - fixedBefore) / seconds;
                double ideal = MAX * 1000.0 / HANDLER_MS;
                System.out.printf("AUTOSCALE: 1 -> %d instances in %d ms; then %.1f requests/s = %.0f %% of the ideal %.0f/s; a fixed pool of %d"
                        + " at the same time %.1f/s = %.0f %% of the ideal; autoscaled / fixed = %.0f %%%n",
                        MAX, grewMs, rate, 100 * rate / ideal, ideal, MAX, fixedRate, 100 * fixedRate / ideal, 100 * rate / fixedRate);
                assertTrue(rate >= 0.9 * ideal, "served " + rate + " requests/s, below 90 % of the ideal " + ideal
                        + " (a fixed pool of " + MAX + " served " + fixedRate + " in the same seconds)");
                assertTrue(rate >= 0.9 * fixedRate, "served " + rate + " requests/s, below 90 % of the fixed pool's " + fixedRate);
            }
            assertEquals(MAX, version(1).path("instances").asInt(), "never past max");
        }
        assertEquals(200, admin(0).call("DELETE", "/pools/" + FIXED, null).status());
        awaitInstances("idle: back to min", 1, Duration.ofSeconds(20));
        assertTrue(version(1).path("autoscale").path("lastChange").path("reason").asText().startsWith("shrink: "), version(1).toString());
    }

    @Test
    @Order(2)
    void a_scale_down_under_steady_load_fails_no_request() throws Exception {
        try (Load backlog = Load.start(BACKLOG_CALLERS)) {
            awaitInstances("grown to " + MAX, MAX, Duration.ofSeconds(15));
        }
        // one caller at a time keeps one of four instances busy (25 %, below 30 %): the pool shrinks under its calls
        try (Load steady = Load.start(1)) {
            long answered = steady.ok();
            Awaitility.await("a shrink under steady load").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200))
                    .until(() -> version(1).path("instances").asInt() < MAX);
            Awaitility.await("the drained instances stopped").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200))
                    .until(() -> version(1).path("stopping").asInt() == 0 && version(1).path("running").asInt() == version(1).path("instances").asInt());
            assertTrue(steady.ok() > answered, "calls were answered through the shrink");
            System.out.printf("AUTOSCALE: steady load of 1 caller: %d -> %d instances, %d calls, 0 failed (%s)%n", MAX,
                    version(1).path("instances").asInt(), steady.ok(), version(1).path("autoscale").path("lastChange").path("reason").asText());
        }
        awaitInstances("idle: back to min", 1, Duration.ofSeconds(20));
    }

    @Test
    @Order(3)
    void autoscaling_continues_across_a_master_failover_from_the_last_decision_in_the_metadata() throws Exception {
        try (Load load = Load.start(BACKLOG_CALLERS)) {
            Awaitility.await("the first master's first grow").atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(50))
                    .until(() -> version(1).path("instances").asInt() > 1);
            int before = version(1).path("instances").asInt();
            long decidedAt = version(1).path("autoscale").path("lastChange").path("at").asLong();
            dispatchers.get(0).close();
            Awaitility.await("the standby leads").atMost(Duration.ofSeconds(30)).until(() -> dispatchers.get(1).isLeader());
            // the new master reads the count and the last change from the metadata: it never starts over from 1
            List<Integer> seen = new CopyOnWriteArrayList<>();
            Awaitility.await("grown to " + MAX + " by the new master").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                    .until(() -> {
                        int n = version(1).path("instances").asInt();
                        seen.add(n);
                        return n == MAX && running() == MAX;
                    });
            assertTrue(seen.stream().allMatch(n -> n >= before), "the count never fell below " + before + " after the failover: " + seen);
            JsonNode last = version(1).path("autoscale").path("lastChange");
            System.out.printf("AUTOSCALE: failover at %d instances, the new master grew it to %d (%s)%n", before, MAX, last);
            if (before < MAX) {
                assertTrue(last.path("at").asLong() > decidedAt, "the last change is the new master's: " + last);
            }
            JsonNode view = admin(1).clusterView();
            assertEquals(false, view.path("totals").path("capacityExhausted").asBoolean(true), "a worker of capacity 8 has room for 4: " + view.path("totals"));
        }
    }

    @Test
    @Order(4)
    void a_pool_that_wants_more_than_the_workers_hold_grows_to_what_fits_says_so_and_keeps_serving() throws Exception {
        // the worker holds 8: a max of 12 cannot be reached
        AdminClient.Reply r = admin(1).call("PUT", "/pools/" + POOL + "/v1", poolBody(MAX, "{\"min\":1,\"max\":12,\"growAfter\":\"1s\",\"shrinkAfter\":\"2s\"}"));
        assertTrue(r.ok(), r.body().toString());
        try (Load load = Load.start(BACKLOG_CALLERS)) {
            Awaitility.await("grown to the worker's 8 and capacity-limited").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200))
                    .ignoreExceptions().until(() -> version(1).path("instances").asInt() == 8 && version(1).path("capacityLimited").asBoolean());
            JsonNode view = admin(1).clusterView();
            assertTrue(view.path("totals").path("capacityExhausted").asBoolean(), view.path("totals").toString());
            String metrics = Http.text(Http.send("GET", "http://127.0.0.1:" + adminPorts[1] + "/metrics", null, "Authorization", "Bearer " + KEY));
            assertTrue(metrics.matches("(?s).*katamari_cluster_capacity_exhausted\\{[^}]*\\} 1\\.0.*"), metrics);
            long answered = load.ok();
            Awaitility.await("calls still answered").atMost(Duration.ofSeconds(10)).until(() -> load.ok() > answered + 20);
            assertEquals(8, version(1).path("instances").asInt(), "never past what fits");
        }
    }

    @Test
    @Order(5)
    void bad_autoscale_settings_are_refused_by_the_admin_api_with_the_field_named_and_nothing_is_written() {
        String other = POOL + "bad";
        for (String[] bad : new String[][] {
                {"{\"min\":5,\"max\":2}", "autoscale.min (5) is above autoscale.max (2)"},
                {"{\"min\":0,\"max\":2}", "autoscale.min must be 1-1024, was 0"},
                {"{\"max\":4,\"growAfter\":\"soon\"}", "growAfter: 'soon' is not a duration"}}) {
            AdminClient.Reply r = admin(1).call("PUT", "/pools/" + other + "/v1", poolBody(1, bad[0]));
            assertEquals(400, r.status(), r.body().toString());
            assertEquals("bad_request", r.code(), r.body().toString());
            assertTrue(r.message().contains(bad[1]), r.message());
        }
        assertEquals(404, admin(1).call("GET", "/pools/" + other, null).status());
    }

    private static String poolBody(int instances, String autoscale) {
        String argv = Katamari.python("wordcount/wordcount.py").stream().map(a -> "\"" + a + "\"").collect(Collectors.joining(","));
        return "{\"command\":[" + argv + "],\"instances\":" + instances + ",\"timeout\":\"20s\",\"pipeline\":true,\"autoscale\":" + autoscale + "}";
    }

    private static AdminClient admin(int i) {
        return new AdminClient("http://127.0.0.1:" + adminPorts[i], KEY);
    }

    /** The pool-version as the second dispatcher sees it: a standby until the failover, the master after it. */
    private static JsonNode version(int dispatcher) {
        JsonNode view = admin(dispatcher).clusterView();
        for (JsonNode v : view == null ? com.fasterxml.jackson.databind.node.MissingNode.getInstance() : view.path("pools").path(POOL)) {
            return v;
        }
        return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
    }

    private static int running() {
        return version(1).path("running").asInt();
    }

    private static void awaitInstances(String what, int n, Duration within) {
        Awaitility.await(what).atMost(within).pollInterval(Duration.ofMillis(100))
                .until(() -> version(1).path("instances").asInt() == n && running() == n);
    }

    /** Callers in a loop, each one call at a time; every call must succeed. */
    private static final class Load implements AutoCloseable {
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final AtomicLong ok = new AtomicLong();
        private final List<String> failures = new CopyOnWriteArrayList<>();
        private final List<Thread> threads = new ArrayList<>();

        static Load start(int callers) {
            return start(callers, POOL);
        }

        static Load start(int callers, String pool) {
            Load l = new Load();
            String url = "http://127.0.0.1:" + gateway.port() + "/pools/" + pool + "/sleep";
            for (int i = 0; i < callers; i++) {
                Thread t = new Thread(() -> {
                    while (l.running.get()) {
                        Http.Response r = Http.post(url, "{\"ms\":" + HANDLER_MS + "}");
                        if (r.status() == 200) {
                            l.ok.incrementAndGet();
                        } else {
                            l.failures.add(r.status() + " " + r.body());
                        }
                    }
                }, "load-" + i);
                t.setDaemon(true);
                t.start();
                l.threads.add(t);
            }
            return l;
        }

        long ok() {
            return ok.get();
        }

        @Override
        public void close() throws InterruptedException {
            running.set(false);
            for (Thread t : threads) {
                t.join(30_000);
            }
            assertEquals(List.of(), failures, "calls failed");
            assertTrue(ok.get() > 0, "no call was answered");
        }
    }
}
