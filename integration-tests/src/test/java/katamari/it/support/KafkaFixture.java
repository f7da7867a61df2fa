package katamari.it.support;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Stream;
import katamari.kafka.embedded.EmbeddedKafka;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.kafka.KafkaContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * One real Kafka broker per test JVM, started on first use and shared by every test: the
 * {@code apache/kafka} image through Testcontainers when a Docker engine is reachable, otherwise the
 * in-process {@link EmbeddedKafka}. Both are single KRaft nodes configured alike for share groups.
 * A JVM shutdown hook stops it.
 *
 * <p>Tests must not depend on which one they got, and should use unique topic and group names
 * because the broker outlives each test.
 */
public final class KafkaFixture {
    private static final Logger log = LoggerFactory.getLogger(KafkaFixture.class);
    private static final DockerImageName IMAGE = DockerImageName.parse("apache/kafka:4.4.0");

    /**
     * The image's environment form ({@code KAFKA_} + name, dots as underscores) of what
     * {@code ServerProperties} in embedded-kafka sets, minus the thread tuning. Testcontainers
     * already sets RF 1 for the offsets and transaction topics and a zero initial rebalance delay.
     */
    private static final Map<String, String> SHARE_GROUP_ENV = Map.ofEntries(
            // Without these two, share consumers join but never receive a record.
            Map.entry("KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR", "1"),
            Map.entry("KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR", "1"),
            Map.entry("KAFKA_SHARE_COORDINATOR_STATE_TOPIC_NUM_PARTITIONS", "1"),
            Map.entry("KAFKA_AUTO_CREATE_TOPICS_ENABLE", "false"),
            Map.entry("KAFKA_NUM_PARTITIONS", "1"),
            Map.entry("KAFKA_MIN_INSYNC_REPLICAS", "1"),
            Map.entry("KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS", "0"),
            // Lets groups use lock durations of a few seconds (broker default minimum: 15 s).
            Map.entry("KAFKA_GROUP_SHARE_MIN_RECORD_LOCK_DURATION_MS", "1000"),
            // A new share member gets its first record in ~0.1 s instead of 1-5 s.
            Map.entry("KAFKA_GROUP_SHARE_ASSIGNMENT_INTERVAL_MS", "0"),
            Map.entry("KAFKA_GROUP_SHARE_HEARTBEAT_INTERVAL_MS", "1000"),
            Map.entry("KAFKA_GROUP_SHARE_MIN_HEARTBEAT_INTERVAL_MS", "1000"));

    private static String bootstrapServers;

    private KafkaFixture() {}

    /** {@code host:port} of the shared broker, starting it on the first call. */
    public static synchronized String bootstrapServers() {
        if (bootstrapServers == null) {
            bootstrapServers = dockerAvailable() ? startContainer() : startEmbedded();
        }
        return bootstrapServers;
    }

    private static String startContainer() {
        KafkaContainer container = new KafkaContainer(IMAGE)
                .withEnv(SHARE_GROUP_ENV)
                .withStartupTimeout(Duration.ofMinutes(2));
        container.start();
        Runtime.getRuntime().addShutdownHook(new Thread(container::stop, "kafka-fixture-stop"));
        log.info("KafkaFixture: Docker is available, using Testcontainers {} at {}", IMAGE, container.getBootstrapServers());
        return container.getBootstrapServers();
    }

    private static String startEmbedded() {
        EmbeddedKafka kafka = EmbeddedKafka.start(EmbeddedKafka.Settings.defaults());
        Runtime.getRuntime().addShutdownHook(new Thread(kafka::close, "kafka-fixture-stop"));
        log.info("KafkaFixture: no Docker engine, using in-process EmbeddedKafka at {}", kafka.bootstrapServers());
        return kafka.bootstrapServers();
    }

    /**
     * Asks Testcontainers only when something suggests an engine exists: its probe logs errors and
     * tries several strategies when there is none, which a plain dev box should not pay for.
     */
    private static boolean dockerAvailable() {
        if (!dockerHinted()) {
            return false;
        }
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (Throwable e) { // the probe can fail with linkage errors on odd setups; any failure means no Docker
            log.debug("Testcontainers could not reach a Docker engine", e);
            return false;
        }
    }

    private static boolean dockerHinted() {
        boolean configured = Stream.of("DOCKER_HOST", "TESTCONTAINERS_DOCKER_SOCKET_OVERRIDE", "TC_HOST")
                .map(System::getenv)
                .anyMatch(Objects::nonNull);
        if (configured || System.getProperty("os.name", "").startsWith("Windows")) {
            return true; // Windows engines listen on a named pipe, which no file check can see
        }
        Path home = Path.of(System.getProperty("user.home"));
        String runtimeDir = System.getenv("XDG_RUNTIME_DIR");
        List<Path> candidates = Stream.of(
                        Path.of("/var/run/docker.sock"),
                        home.resolve(".testcontainers.properties"),
                        home.resolve(".docker/run/docker.sock"),
                        home.resolve(".docker/desktop/docker.sock"),
                        home.resolve(".colima/default/docker.sock"),
                        home.resolve(".rd/docker.sock"),
                        runtimeDir == null ? null : Path.of(runtimeDir, "docker.sock"),
                        runtimeDir == null ? null : Path.of(runtimeDir, "podman/podman.sock"))
                .filter(Objects::nonNull)
                .toList();
        return candidates.stream().anyMatch(Files::exists);
    }
}
