package katamari.it.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.hazelcast.core.HazelcastInstance;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.stream.Collectors;
import katamari.cluster.HazelcastSetup;
import katamari.config.ClusterSettings;
import katamari.config.GatewaySettings;
import katamari.config.KatamariConfig;
import katamari.dispatcher.Dispatcher;
import katamari.gateway.Gateway;
import katamari.worker.WorkerAgent;
import katamari.worker.membership.WorkerMembership;
import org.awaitility.Awaitility;

/**
 * One dispatcher (CP member count 0), one worker and one gateway in this JVM, the worker and gateway joined as
 * Hazelcast clients, against the shared test broker; no pools until a test creates them through the admin API.
 */
public final class InProcessCluster implements AutoCloseable {
    public static final String ADMIN_KEY = "admin-" + UUID.randomUUID();

    private final Dispatcher dispatcher;
    private final HazelcastInstance workerClient;
    private final WorkerAgent worker;
    private final WorkerMembership membership;
    private final HazelcastInstance gatewayClient;
    private final Gateway gateway;
    private final KatamariConfig config;
    /** Gateways a test added ({@link #addGateway()}), each with its own client; closed before the first one. */
    private final List<AutoCloseable> extra = new java.util.concurrent.CopyOnWriteArrayList<>();

    private InProcessCluster(GatewaySettings gatewaySettings) throws IOException {
        int member;
        int admin;
        try (ServerSocket a = new ServerSocket(0); ServerSocket b = new ServerSocket(0)) {
            member = a.getLocalPort();
            admin = b.getLocalPort();
        }
        ClusterSettings cluster = Katamari.testCluster(member, admin, ADMIN_KEY);
        KatamariConfig config = Katamari.testConfig().withGateway(gatewaySettings).withCluster(cluster)
                .withWorker(Katamari.testWorker().withAllowedCommands(List.of("java", "python3")));
        this.config = config;
        dispatcher = new Dispatcher(config);
        dispatcher.start();
        Awaitility.await("the dispatcher leads").atMost(Duration.ofSeconds(30)).until(dispatcher::isLeader);
        workerClient = HazelcastSetup.startClient(cluster, "it-worker");
        worker = new WorkerAgent(config);
        worker.startEmpty();
        membership = new WorkerMembership(worker, workerClient, cluster);
        membership.start();
        gatewayClient = HazelcastSetup.startGatewayClient(cluster, "it-gateway");
        gateway = new Gateway(config, gatewayClient);
        gateway.start();
        Awaitility.await("gateway ready").atMost(Duration.ofSeconds(30)).until(gateway::isReady);
    }

    public static InProcessCluster start(GatewaySettings gateway) {
        try {
            return new InProcessCluster(gateway);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** One more gateway of this cluster, a Hazelcast client of its own (as a gateway on another box is), started and ready. */
    public Gateway addGateway() {
        HazelcastInstance client = HazelcastSetup.startGatewayClient(config.cluster(), "it-gateway-" + (extra.size() / 2 + 2));
        extra.add(client::shutdown);
        Gateway g = new Gateway(config.withGateway(config.gateway().withId(null)), client);
        extra.add(g);
        g.start();
        Awaitility.await("second gateway ready").atMost(Duration.ofSeconds(30)).until(g::isReady);
        return g;
    }

    public String adminUrl() {
        return dispatcher.adminUrl();
    }

    public String url(String path) {
        return "http://127.0.0.1:" + gateway.port() + path;
    }

    public WorkerAgent worker() {
        return worker;
    }

    public Gateway gateway() {
        return gateway;
    }

    /** An admin API call with the admin key. */
    public Http.Response admin(String method, String path, String body) {
        return Http.send(method, adminUrl() + path, body, "Authorization", "Bearer " + ADMIN_KEY);
    }

    /** The admin body of a pool-version running {@code command}. */
    public static String poolBody(List<String> command, int instances, int weight) {
        String argv = command.stream().map(a -> "\"" + a + "\"").collect(Collectors.joining(","));
        return "{\"command\":[" + argv + "],\"instances\":" + instances + ",\"timeout\":\"20s\",\"weight\":" + weight + "}";
    }

    /** Waits until the master's cluster view shows {@code available} idle instances of {@code pool/version}. */
    public void awaitAvailable(String pool, String version, int available) {
        Awaitility.await(pool + "/" + version + " has " + available + " available").atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(200)).until(() -> {
                    for (JsonNode v : admin("GET", "/cluster", null).body().path("pools").path(pool)) {
                        if (v.path("version").asText().equals(version)) {
                            return v.path("available").asInt() >= available;
                        }
                    }
                    return false;
                });
    }

    @Override
    public void close() {
        for (int i = extra.size() - 1; i >= 0; i--) {
            try {
                extra.get(i).close();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
        gateway.close();
        gatewayClient.shutdown();
        membership.close();
        worker.close();
        workerClient.shutdown();
        dispatcher.close();
    }
}
