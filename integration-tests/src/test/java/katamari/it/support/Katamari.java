package katamari.it.support;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import katamari.config.GatewaySettings;
import katamari.config.KafkaSettings;
import katamari.config.KatamariConfig;
import katamari.config.PoolDefinition;
import katamari.config.WorkerSettings;
import katamari.dispatcher.Dispatcher;
import katamari.gateway.Gateway;
import katamari.worker.WorkerAgent;
import org.awaitility.Awaitility;

/**
 * A whole Katamari (dispatcher, worker, gateway) in this JVM against the shared test broker, serving the echo
 * chassis as real child processes. Each instance uses its own pool version, so tests never share request topics.
 */
public final class Katamari implements AutoCloseable {
    public static final Path HOME = Path.of(System.getProperty("katamari.home", "..")).toAbsolutePath().normalize();

    private final KatamariConfig config;
    private final PoolDefinition echo;
    private final Dispatcher dispatcher;
    private final WorkerAgent worker;
    private final Gateway gateway;

    private Katamari(KatamariConfig config) {
        this.config = config;
        this.echo = config.pools().get(0);
        this.dispatcher = new Dispatcher(config);
        this.worker = new WorkerAgent(config);
        this.gateway = new Gateway(config);
    }

    /** Starts everything and waits until the gateway is ready and every instance has said hello. */
    public static Katamari start(int instances, Duration gatewayTimeout) {
        String version = "t" + UUID.randomUUID().toString().substring(0, 8);
        PoolDefinition echo = new PoolDefinition("echo", version, echoCommand(), instances, Duration.ofSeconds(30), 2, null, null, Map.of(), null);
        KatamariConfig config = new KatamariConfig(
                KafkaSettings.defaults().withBootstrap(KafkaFixture.bootstrapServers()),
                new GatewaySettings("127.0.0.1", 0, null, gatewayTimeout, 1024 * 1024),
                new WorkerSettings(Duration.ofSeconds(30), null, Duration.ofSeconds(1), null, null, null, null, null, null, List.of("java")),
                List.of(echo));
        Katamari k = new Katamari(config);
        k.dispatcher.start();
        k.worker.start();
        if (!k.worker.awaitInstances(Duration.ofSeconds(60))) {
            k.close();
            throw new IllegalStateException("echo instances did not start; is examples/echo built?");
        }
        k.gateway.start();
        Awaitility.await("gateway ready").atMost(Duration.ofSeconds(30)).until(k.gateway::isReady);
        return k;
    }

    public static List<String> echoCommand() {
        return List.of("java", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx64m", "-jar",
                HOME.resolve("examples/echo/target/katamari-echo.jar").toString());
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
        dispatcher.close();
    }
}
