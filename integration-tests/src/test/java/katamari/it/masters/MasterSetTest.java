package katamari.it.masters;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.hazelcast.core.HazelcastInstance;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import katamari.cluster.ClusterMaps;
import katamari.cluster.HazelcastSetup;
import katamari.config.KatamariConfig;
import katamari.dispatcher.Dispatcher;
import katamari.dispatcher.metadata.FencedStore;
import katamari.dispatcher.metadata.MetadataJournal;
import katamari.dispatcher.metadata.StaleLeaderException;
import katamari.dispatcher.rollout.AdminClient;
import katamari.gateway.Gateway;
import katamari.it.support.FreePorts;
import katamari.it.support.Http;
import katamari.it.support.Katamari;
import katamari.worker.InstanceStatus;
import katamari.worker.WorkerAgent;
import katamari.worker.membership.WorkerMembership;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two dispatchers in this JVM (CP member count 0, unsafe mode), a worker and a gateway joined as Hazelcast clients:
 * the admin API, forwarding, the gateway's listener-updated pool set, priority, and the fenced store.
 */
class MasterSetTest {
    private static final String KEY = "k-" + UUID.randomUUID();
    private static KatamariConfig base;
    private static final List<Dispatcher> dispatchers = new ArrayList<>(List.of());
    private static int[] memberPorts;
    private static int[] adminPorts;
    private static HazelcastInstance workerClient;
    private static HazelcastInstance gatewayClient;
    private static WorkerAgent worker;
    private static WorkerMembership membership;
    private static Gateway gateway;

    @BeforeAll
    static void start() throws IOException {
        memberPorts = FreePorts.pick(2);
        adminPorts = FreePorts.pick(2);
        List<String> members = List.of("127.0.0.1:" + memberPorts[0], "127.0.0.1:" + memberPorts[1]);
        base = Katamari.testConfig().withGateway(Katamari.gateway(Duration.ofSeconds(20))).withWorker(Katamari.testWorker())
                .withCluster(Katamari.testCluster(memberPorts[0], adminPorts[0], KEY).withMembers(members));
        dispatchers.add(dispatcher(0));
        dispatchers.get(0).start();
        dispatchers.add(dispatcher(1));
        dispatchers.get(1).start();
        Awaitility.await("the first on the list leads").atMost(Duration.ofSeconds(30)).until(() -> dispatchers.get(0).isLeader());
        workerClient = HazelcastSetup.startClient(base.cluster(), "it-worker");
        worker = new WorkerAgent(base);
        worker.startEmpty();
        membership = new WorkerMembership(worker, workerClient, base.cluster());
        membership.start();
        gatewayClient = HazelcastSetup.startGatewayClient(base.cluster(), "it-gateway");
        gateway = new Gateway(base, gatewayClient);
        gateway.start();
        Awaitility.await("gateway ready").atMost(Duration.ofSeconds(30)).until(gateway::isReady);
    }

    private static Dispatcher dispatcher(int i) {
        return new Dispatcher(base.withCluster(base.cluster().withMember("127.0.0.1", memberPorts[i], adminPorts[i])));
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

    private static AdminClient admin(int i) {
        return admin(i, KEY);
    }

    private static AdminClient admin(int i, String key) {
        return new AdminClient("http://127.0.0.1:" + adminPorts[i], key);
    }

    private static String echoBody(int instances) {
        String argv = Katamari.echoCommand().stream().map(a -> "\"" + a + "\"").collect(Collectors.joining(","));
        return "{\"command\":[" + argv + "],\"instances\":" + instances + ",\"timeout\":\"20s\"}";
    }

    private static Http.Response call(String pool, String text, String timeoutMs) {
        return Http.post("http://127.0.0.1:" + gateway.port() + "/pools/" + pool + "/echo", "{\"text\":\"" + text + "\"}",
                "Katamari-Timeout-Ms", timeoutMs);
    }

    @Test
    void a_pool_created_on_a_standby_is_routable_within_a_second_served_and_gone_once_deleted() {
        String pool = "p" + UUID.randomUUID().toString().substring(0, 6);
        assertEquals("pool_not_found", call(pool, "x", "200").errorCode());
        AdminClient.Reply created = admin(1).call("PUT", "/pools/" + pool + "/v1", echoBody(1));
        assertEquals(201, created.status(), created.body().toString());
        long t0 = System.nanoTime();
        // routable: no longer pool_not_found (a short deadline may still time out while the instance starts)
        Awaitility.await("routable").atMost(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(20))
                .until(() -> !"pool_not_found".equals(call(pool, "x", "1").errorCode()));
        System.out.printf("ROUTABLE: pool %s routable %d ms after the admin call returned%n", pool, (System.nanoTime() - t0) / 1_000_000);
        Http.Response r = call(pool, "hello", "20000");
        assertEquals(200, r.status(), r.body().toString());
        assertEquals("hello", r.body().path("result").asText());

        AdminClient.Reply deleted = admin(0).call("DELETE", "/pools/" + pool + "/v1", null);
        assertEquals(200, deleted.status(), deleted.body().toString());
        Awaitility.await("deleted pool is 404").atMost(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(20))
                .until(() -> "pool_not_found".equals(call(pool, "x", "200").errorCode()));
        assertEquals(404, admin(1).call("GET", "/pools/" + pool, null).status());
    }

    @Test
    void a_drained_worker_finishes_what_it_holds_then_runs_nothing_until_undrained() {
        String pool = "d" + UUID.randomUUID().toString().substring(0, 6);
        assertEquals(201, admin(0).call("PUT", "/pools/" + pool + "/v1", echoBody(1)).status());
        Awaitility.await("an instance of " + pool).atMost(Duration.ofSeconds(60)).until(() -> running(pool) == 1);
        var slow = Http.postAsync("http://127.0.0.1:" + gateway.port() + "/pools/" + pool + "/sleep", "{\"ms\":1500}",
                "Katamari-Timeout-Ms", "20000");
        Awaitility.await("busy").atMost(Duration.ofSeconds(20)).until(() -> worker.status().stream()
                .anyMatch(s -> s.pool().equals(pool) && s.state() == InstanceStatus.State.BUSY));

        AdminClient.Reply drained = admin(1).call("POST", "/workers/" + worker.id() + "/drain", null); // via a standby
        assertEquals(200, drained.status(), drained.body().toString());
        assertEquals(200, slow.join().status(), "the request in flight is finished, not dropped");
        Awaitility.await("nothing runs on the drained worker").atMost(Duration.ofSeconds(30)).until(() -> running(pool) == 0);
        Awaitility.await("the cluster view says so").atMost(Duration.ofSeconds(10)).until(() -> admin(0).call("GET", "/cluster", null)
                .body().path("workers").findValues("draining").stream().anyMatch(JsonNode::asBoolean));

        assertEquals(200, admin(0).call("DELETE", "/workers/" + worker.id() + "/drain", null).status());
        Awaitility.await("work again once undrained").atMost(Duration.ofSeconds(60)).until(() -> running(pool) == 1);
        assertEquals(200, admin(0).call("DELETE", "/pools/" + pool, null).status());
    }

    private static long running(String pool) {
        return worker.status().stream().filter(s -> s.pool().equals(pool) && s.state() != InstanceStatus.State.STOPPED).count();
    }

    @Test
    void after_a_scale_down_the_cluster_view_counts_only_what_runs() {
        String pool = "s" + UUID.randomUUID().toString().substring(0, 6);
        assertEquals(201, admin(0).call("PUT", "/pools/" + pool + "/v1", echoBody(3)).status());
        Awaitility.await("3 instances run").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                .until(() -> viewOf(pool).path("available").asInt() == 3);
        assertEquals(200, admin(0).call("PUT", "/pools/" + pool + "/v1", echoBody(1)).status());
        // before, the two stopped instances kept counting as running until the worker's next placement change
        Awaitility.await("the view counts the 1 instance that runs").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .until(() -> viewOf(pool).path("running").asInt() == 1 && viewOf(pool).path("stopping").asInt() == 0);
        assertEquals(200, admin(0).call("DELETE", "/pools/" + pool, null).status());
    }

    /** The pool's only version in {@code GET /cluster}. */
    private static JsonNode viewOf(String pool) {
        return admin(0).call("GET", "/cluster", null).body().path("pools").path(pool).path(0);
    }

    @Test
    void the_admin_api_needs_the_key() {
        AdminClient.Reply none = admin(0, null).call("GET", "/cluster", null);
        assertEquals(401, none.status());
        assertEquals("unauthorized", none.code());
        assertEquals(403, admin(1, "wrong").call("PUT", "/pools/x/v1", echoBody(1)).status());
        assertEquals(200, admin(1, null).call("GET", "/healthz", null).status());
    }

    @Test
    void bad_admin_input_is_400_with_what_to_fix_and_writes_nothing() {
        String pool = "bad" + UUID.randomUUID().toString().substring(0, 6);
        assertBad(pool, "v1", "{\"command\":[\"java\"],\"instancez\":2}", "unknown field 'instancez'");
        assertBad(pool, "v1", "{\"command\":[\"java\"],\"timeout\":\"soon\"}", "500ms, 30s");
        assertBad(pool, "v1", "{\"command\":[]}", "command must be a non-empty argv array");
        assertBad(pool, "v1", "{\"command\":[\"java\"],\"instances\":-1}", "instances must be 0-1024");
        assertBad(pool, "v1", "{\"command\":[\"java\"],\"weight\":\"lots\"}", "'weight' must be a whole number");
        assertBad(pool, "v1", "[1,2]", "must be a JSON object");
        assertBad(pool, "v1", "{\"command\":", "not valid JSON");
        assertBad(pool, "v1", "{\"name\":\"other\",\"command\":[\"java\"]}", "differs from the path");
        assertBad("Bad", "v1", "{\"command\":[\"java\"]}", "pool name 'Bad' is invalid");
        assertEquals(404, admin(0).call("GET", "/pools/" + pool, null).status(), "nothing was written");
    }

    private static void assertBad(String pool, String version, String body, String inMessage) {
        for (int i = 0; i < 2; i++) {
            AdminClient.Reply r = admin(i).call("PUT", "/pools/" + pool + "/" + version, body);
            assertEquals(400, r.status(), body + " -> " + r.body());
            assertEquals("bad_request", r.code());
            assertTrue(r.message().contains(inMessage), "'" + r.message() + "' should say '" + inMessage + "'");
        }
    }

    @Test
    void cluster_view_shows_leader_masters_workers_and_instances() {
        admin(0).call("PUT", "/pools/view/v1", echoBody(2));
        Awaitility.await("2 instances of view/v1 available").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                .until(() -> admin(1).clusterView().path("pools").path("view").path(0).path("available").asInt() == 2);
        var c = admin(1).clusterView();
        assertEquals("127.0.0.1:" + memberPorts[0], c.path("leader").path("address").asText(), c.toString());
        assertEquals(2, c.path("masters").size());
        assertEquals(0, c.path("masters").path(0).path("priority").asInt());
        assertEquals(worker.id(), c.path("workers").path(0).path("id").asText());
        assertEquals(8, c.path("workers").path(0).path("capacity").asInt());
        assertTrue(c.path("workers").path(0).path("heartbeatAgeMs").asLong() < 3000);
        assertTrue(c.path("totals").path("available").asInt() >= 2);
        var hz = c.path("hazelcast"); // what Management Center would show
        assertEquals(base.cluster().name(), hz.path("cluster").asText(), hz.toString());
        assertEquals(2, hz.path("members").size(), hz.toString());
        assertEquals(2, hz.path("maps").path("katamari.masters").asInt(), "both dispatchers' entries: " + hz);
        assertTrue(hz.path("maps").path("katamari.pools").asInt() >= 1, hz.toString());
        assertTrue(hz.path("cp").path("enabled").isBoolean() && !hz.path("cp").path("enabled").asBoolean(), "unsafe mode: " + hz);
        assertEquals(0, hz.path("cp").path("members").size(), hz.toString());
        admin(1).call("DELETE", "/pools/view", null);
    }

    @Test
    void a_standby_serves_the_console_and_shows_the_same_instances_and_traffic_as_the_master() throws Exception {
        String pool = "c" + UUID.randomUUID().toString().substring(0, 6);
        assertEquals(201, admin(0).call("PUT", "/pools/" + pool + "/v1", echoBody(1)).status());
        Awaitility.await(pool + " available").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                .until(() -> admin(1).clusterView().path("pools").path(pool).path(0).path("available").asInt() == 1);
        java.net.http.HttpResponse<String> page = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://127.0.0.1:" + adminPorts[1] + "/")).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        assertEquals(200, page.statusCode());
        assertTrue(page.body().contains("console.js"), "the standby serves the page, without a key");
        for (int i = 0; i < 20; i++) {
            assertEquals(200, call(pool, "c" + i, "20000").status());
        }
        // both dispatchers read their own replicated copy: the same instance, and the requests in their history (a sum
        // of per-second rates over samples about a second apart: about 20, so more than 10 whatever the sampling jitter)
        Awaitility.await("both dispatchers show the instance with its memory, and the requests in their history")
                .atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(300)).until(() -> {
                    List<String> seen = new ArrayList<>();
                    for (int d = 0; d < 2; d++) {
                        for (JsonNode w : admin(d).clusterView().path("workers")) {
                            for (JsonNode i : w.path("processes")) {
                                if (i.path("pool").asText().equals(pool) && i.path("state").asText().equals("IDLE") && i.path("rssKb").asLong() > 0) {
                                    seen.add(i.path("instance").asText() + "@" + i.path("pid").asLong());
                                }
                            }
                        }
                        double sum = 0;
                        for (JsonNode r : admin(d).call("GET", "/cluster/history", null).body().path("versions").path(pool + "/v1").path("requestsPerSecond")) {
                            sum += r.asDouble(0);
                        }
                        if (sum <= 10) {
                            return false;
                        }
                    }
                    return seen.size() == 2 && seen.get(0).equals(seen.get(1));
                });
        admin(1).call("DELETE", "/pools/" + pool, null);
    }

    @Test
    void a_write_under_a_stale_fence_is_refused_and_does_not_land() {
        HazelcastInstance hz = dispatchers.get(1).hazelcast();
        try (MetadataJournal journal = new MetadataJournal(base.kafka(), base.cluster().name(), Duration.ofSeconds(10))) {
            refusesStaleWrite(hz, new FencedStore(hz, journal, Duration.ofSeconds(2)));
        }
    }

    private static void refusesStaleWrite(HazelcastInstance hz, FencedStore store) {
        long current = store.currentFence();
        assertNotEquals(0, current);
        StaleLeaderException e = assertThrows(StaleLeaderException.class,
                () -> store.put(current - 1, ClusterMaps.LEADER, "probe", Map.of("late", true)));
        assertTrue(e.getMessage().contains("written under fence " + (current - 1)), e.getMessage());
        assertTrue(!hz.getReplicatedMap(ClusterMaps.LEADER).containsKey("probe"), "the refused write did not land");
    }

}
