package katamari.it.support;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import katamari.config.ClusterSettings;
import katamari.config.GatewaySettings;
import katamari.config.KafkaSettings;
import katamari.config.KatamariConfig;
import katamari.config.PoolDefinition;
import katamari.config.WorkerSettings;
import katamari.dispatcher.provisioning.TopicProvisioner;
import katamari.gateway.Gateway;
import katamari.worker.WorkerAgent;
import org.awaitility.Awaitility;

/**
 * A whole Katamari (worker, gateway, and the dispatcher's topic provisioning) in this JVM against the shared test
 * broker, serving the echo chassis as real child processes, without a Hazelcast cluster: the worker runs the
 * configured pools and the gateway routes to them (the master set has its own tests in {@code katamari.it.masters}).
 * Each instance uses its own pool version, so tests never share request topics.
 */
public final class Katamari implements AutoCloseable {
    public static final Path HOME = Path.of(System.getProperty("katamari.home", "..")).toAbsolutePath().normalize();

    private final KatamariConfig config;
    private final PoolDefinition echo;
    private final WorkerAgent worker;
    private final Gateway gateway;

    private Katamari(KatamariConfig config) {
        this.config = config;
        this.echo = config.pools().get(0);
        this.worker = new WorkerAgent(config);
        this.gateway = new Gateway(config);
    }

    /** Starts everything and waits until the gateway is ready and every instance has said hello. */
    public static Katamari start(int instances, Duration gatewayTimeout) {
        return start(List.of(pool("echo", echoCommand(), instances)), testWorker(), gatewayTimeout, true);
    }

    /** A pool-version with a version unique to this test run, so no two tests share its topics. */
    public static PoolDefinition pool(String name, List<String> command, int instances) {
        return PoolDefinition.of(name, "t" + UUID.randomUUID().toString().substring(0, 8), command).withInstances(instances);
    }

    /** Supervision settings tuned so that faults show within a couple of seconds. */
    public static WorkerSettings testWorker() {
        return WorkerSettings.defaults().withLaunchTimeout(Duration.ofSeconds(30)).withKillGrace(Duration.ofSeconds(1))
                .withMaxBackoff(Duration.ofSeconds(2)).withMemoryCheck(Duration.ofMillis(200)).withAllowedCommands(List.of("java"));
    }

    public static Katamari start(List<PoolDefinition> pools, WorkerSettings worker, Duration gatewayTimeout, boolean awaitInstances) {
        return start(pools, worker, gateway(gatewayTimeout), awaitInstances);
    }

    /** An open gateway on any free port of 127.0.0.1, with the default limits. */
    public static GatewaySettings gateway(Duration timeout) {
        return GatewaySettings.defaults().withPort(0).withTimeout(timeout).withOpen(true);
    }

    /** The defaults, against the shared test broker. */
    public static KatamariConfig testConfig() {
        return KatamariConfig.defaults().withKafka(KafkaSettings.defaults().withBootstrap(KafkaFixture.bootstrapServers()));
    }

    /**
     * A Hazelcast cluster of its own (a random name, so tests never join each other's) whose one member, on 127.0.0.1,
     * serves the admin API with {@code adminKey}.
     */
    public static ClusterSettings testCluster(int memberPort, int adminPort, String adminKey) {
        return ClusterSettings.defaults().withName("it-" + UUID.randomUUID().toString().substring(0, 8))
                .withMember("127.0.0.1", memberPort, adminPort).withMembers(List.of("127.0.0.1:" + memberPort))
                .withAdminKey(adminKey).withWorkerCapacity(8);
    }

    public static Katamari start(List<PoolDefinition> pools, WorkerSettings worker, GatewaySettings gateway, boolean awaitInstances) {
        KatamariConfig config = testConfig().withGateway(gateway).withWorker(worker).withPools(pools);
        Katamari k = new Katamari(config);
        try (TopicProvisioner provisioner = new TopicProvisioner(config.kafka())) {
            provisioner.provision(config.pools());
        }
        k.worker.start();
        if (awaitInstances && !k.worker.awaitInstances(Duration.ofSeconds(60))) {
            k.close();
            throw new IllegalStateException("instances did not start; are the examples built? " + k.worker.status());
        }
        k.gateway.start();
        Awaitility.await("gateway ready").atMost(Duration.ofSeconds(30)).until(k.gateway::isReady);
        return k;
    }

    public static List<String> echoCommand() {
        return List.of("java", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx64m", "-jar",
                HOME.resolve("examples/echo/target/katamari-echo.jar").toString());
    }

    /** A Python chassis of {@code examples/}, e.g. {@code python("jsonrpc/spec.py")}. */
    public static List<String> python(String example) {
        return List.of("python3", HOME.resolve("examples").resolve(example).toString());
    }

    public static List<String> faultyCommand(String... extra) {
        List<String> argv = new java.util.ArrayList<>(List.of("java", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx512m", "-jar",
                HOME.resolve("examples/faulty/target/katamari-faulty.jar").toString()));
        argv.addAll(List.of(extra));
        return argv;
    }

    public WorkerAgent worker() {
        return worker;
    }

    /** The URL of a method of the (only) configured version of {@code pool}. */
    public String call(String pool, String method) {
        return url("/pools/" + pool + "/" + method);
    }

    public PoolDefinition pool(String name) {
        return config.pools().stream().filter(p -> p.name().equals(name)).findFirst().orElseThrow();
    }

    public String url(String path) {
        return "http://127.0.0.1:" + gateway.port() + path;
    }

    public PoolDefinition echoPool() {
        return echo;
    }

    public KatamariConfig config() {
        return config;
    }

    public Gateway gateway() {
        return gateway;
    }

    @Override
    public void close() {
        gateway.close();
        worker.close();
    }
}
