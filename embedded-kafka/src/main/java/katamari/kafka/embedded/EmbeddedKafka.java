package katamari.kafka.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.Comparator;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Kafka node (KRaft, combined broker and controller) running inside this JVM, listening on
 * 127.0.0.1 only, with share groups enabled. {@link #start} runs a single-node Kafka, the broker of the
 * one-box {@code dev} role and of component tests; {@link #startNode} runs one node of a replicated
 * cluster (RF 3, min ISR 2, fast failure detection), one per JVM as an operator would run them.
 *
 * <p>Kafka logs through SLF4J and is chatty at INFO: set the loggers {@code kafka},
 * {@code org.apache.kafka} and {@code state.change.logger} to WARN in the application's logging
 * backend.
 *
 * <p>Caveats, as for a standalone broker: the server's threads are not daemons, so the JVM does not
 * exit until {@link #close()} is called (or {@code System.exit}); and it halts the JVM on a fatal
 * fault, for example an unwritable metadata log.
 */
public final class EmbeddedKafka implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EmbeddedKafka.class);
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
    private static final int BIND_ATTEMPTS = 3;

    private final KafkaRaftServer server;
    private final String bootstrapServers;
    private final Path dataDir;
    private final boolean temporaryDataDir;
    private final AtomicBoolean closed = new AtomicBoolean();

    private EmbeddedKafka(KafkaRaftServer server, String bootstrapServers, Path dataDir, boolean temporaryDataDir) {
        this.server = server;
        this.bootstrapServers = bootstrapServers;
        this.dataDir = dataDir;
        this.temporaryDataDir = temporaryDataDir;
    }

    /**
     * Formats {@code settings.dataDir()} if it is new, starts the server, and returns once the broker
     * answers a describeCluster request.
     *
     * @throws IllegalStateException if the server does not start or does not answer within a minute
     */
    public static EmbeddedKafka start(Settings settings) {
        boolean temporary = settings.dataDir() == null;
        Path dataDir = temporary ? createTempDir() : createDirs(settings.dataDir());
        try {
            for (int attempt = 1; ; attempt++) {
                try {
                    return startOnce(settings, dataDir, temporary);
                } catch (RuntimeException e) {
                    // A port picked by FreePort can be taken by someone else before Kafka binds it.
                    boolean portsWerePicked = settings.port() == 0;
                    if (!portsWerePicked || attempt == BIND_ATTEMPTS || !causedBy(e, BindException.class)) {
                        throw e;
                    }
                    log.debug("embedded Kafka lost a race for a free port, retrying", e);
                }
            }
        } catch (RuntimeException e) {
            if (temporary) {
                deleteRecursively(dataDir);
            }
            throw e;
        }
    }

    /** The broker's address for clients: {@code 127.0.0.1:<port>}. */
    public String bootstrapServers() {
        return bootstrapServers;
    }

    /** Stops the server and, if the data dir was a temporary one, deletes it. Idempotent. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        server.shutdown();
        server.awaitShutdown();
        if (temporaryDataDir) {
            deleteRecursively(dataDir);
        }
        log.info("embedded Kafka on {} stopped", bootstrapServers);
    }

    /**
     * Formats {@code node.dataDir()} if it is new and starts this node of a replicated cluster. Returns once
     * its broker answers, which needs a majority of the voters running: start the nodes of a new cluster
     * together (each call blocks until enough of them are up).
     *
     * @throws IllegalStateException if the node does not start or does not answer within a minute
     */
    public static EmbeddedKafka startNode(Node node) {
        Map<String, String> properties = serverProperties(node);
        return startOnce(properties, createDirs(node.dataDir()), node.brokerPort(), node.clusterId(), false);
    }

    /**
     * The server properties {@link #startNode} runs {@code node} with: what a replicated cluster needs (replication,
     * share groups, failure detection), listeners on 127.0.0.1 and this box's thread tuning. Other deployments of
     * the same cluster (docker/compose.yaml) are checked against it.
     */
    public static Map<String, String> serverProperties(Node node) {
        Map<String, String> properties = ServerProperties.forNode(node.nodeId(), node.voters(), node.dataDir(), node.brokerPort());
        properties.putAll(node.overrides());
        return properties;
    }

    private static EmbeddedKafka startOnce(Settings settings, Path dataDir, boolean temporary) {
        int brokerPort = settings.port() == 0 ? FreePort.pick() : settings.port();
        int controllerPort = FreePort.pickOtherThan(brokerPort);
        return startOnce(ServerProperties.of(dataDir, brokerPort, controllerPort), dataDir, brokerPort, Uuid.randomUuid().toString(), temporary);
    }

    private static EmbeddedKafka startOnce(Map<String, String> properties, Path dataDir, int brokerPort, String clusterId, boolean temporary) {
        long startedAt = System.nanoTime();
        String bootstrap = "127.0.0.1:" + brokerPort;
        // doLog=false: the full config dump is hundreds of INFO lines.
        KafkaConfig config = new KafkaConfig(properties, false);
        try {
            MetadataStorage.formatIfNeeded(config, clusterId);
        } catch (Exception e) {
            throw new IllegalStateException("cannot format Kafka data dir " + dataDir, e);
        }
        KafkaRaftServer server = new KafkaRaftServer(config, Time.SYSTEM);
        try {
            server.startup();
            awaitBrokerAnswers(bootstrap);
        } catch (RuntimeException e) {
            shutdownQuietly(server);
            throw new IllegalStateException("embedded Kafka did not start on " + bootstrap + " with data dir " + dataDir, e);
        }
        log.info("embedded Kafka started on {} in {} ms (data dir {})",
                bootstrap, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedAt), dataDir);
        return new EmbeddedKafka(server, bootstrap, dataDir, temporary);
    }

    private static void awaitBrokerAnswers(String bootstrap) {
        Map<String, Object> adminConfig = Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) READY_TIMEOUT.toMillis(),
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000,
                AdminClientConfig.RETRY_BACKOFF_MS_CONFIG, 20);
        try (Admin admin = Admin.create(adminConfig)) {
            admin.describeCluster().nodes().get(READY_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("broker did not answer describeCluster within " + READY_TIMEOUT, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the broker", e);
        }
    }

    private static void shutdownQuietly(KafkaRaftServer server) {
        try {
            server.shutdown();
            server.awaitShutdown();
        } catch (RuntimeException e) {
            log.warn("embedded Kafka did not shut down cleanly after a failed start", e);
        }
    }

    private static boolean causedBy(Throwable e, Class<? extends Throwable> type) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }

    private static Path createTempDir() {
        try {
            return Files.createTempDirectory("katamari-kafka-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a temporary Kafka data dir", e);
        }
    }

    private static Path createDirs(Path dir) {
        try {
            return Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create Kafka data dir " + dir, e);
        }
    }

    private static void deleteRecursively(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | UncheckedIOException e) {
            log.warn("could not delete Kafka data dir {}", dir, e);
        }
    }

    /**
     * One node of a replicated cluster: every node a combined broker and controller, every controller a
     * static voter on a fixed port (a static quorum cannot move its controllers, so their ports are part of the
     * cluster's identity; broker ports may change across restarts).
     *
     * @param nodeId     this node's id, one of {@code voters}' keys
     * @param voters     the controller port on 127.0.0.1 of every node, by node id; 1, 3 or 5 nodes
     * @param brokerPort this node's broker (client) port on 127.0.0.1
     * @param dataDir    where this node's topics and metadata live; reused across restarts
     * @param clusterId  the id a new data dir is formatted with, the same on every node; null derives it from
     *                   {@code voters}, so nodes started with the same voter list agree without being told
     * @param overrides  server properties set last, over the ones chosen here (to measure Kafka's defaults, say)
     */
    public record Node(int nodeId, Map<Integer, Integer> voters, int brokerPort, Path dataDir, String clusterId,
                       Map<String, String> overrides) {
        public Node {
            voters = Collections.unmodifiableMap(new TreeMap<>(voters));
            if (!voters.containsKey(nodeId)) {
                throw new IllegalArgumentException("node id " + nodeId + " is not among the voters " + voters.keySet());
            }
            if (voters.size() % 2 == 0) {
                throw new IllegalArgumentException("a KRaft quorum needs an odd number of voters, got " + voters.size());
            }
            for (int port : voters.values()) {
                checkPort("controller port", port);
            }
            checkPort("broker port", brokerPort);
            if (voters.containsValue(brokerPort)) {
                throw new IllegalArgumentException("broker port " + brokerPort + " is also a controller port");
            }
            if (dataDir == null) {
                throw new IllegalArgumentException("a cluster node needs a data dir of its own");
            }
            clusterId = clusterId != null ? clusterId : derivedClusterId(voters);
            overrides = overrides == null ? Map.of() : Map.copyOf(overrides);
        }

        public Node(int nodeId, Map<Integer, Integer> voters, int brokerPort, Path dataDir) {
            this(nodeId, voters, brokerPort, dataDir, null, null);
        }

        /** {@code controller.quorum.voters}: {@code id@127.0.0.1:port,...}. */
        public String quorumVoters() {
            return voters.entrySet().stream().map(v -> v.getKey() + "@127.0.0.1:" + v.getValue()).collect(Collectors.joining(","));
        }

        private static void checkPort(String what, int port) {
            if (port < 1 || port > 65_535) {
                throw new IllegalArgumentException(what + " must be 1..65535, was " + port);
            }
        }

        private static String derivedClusterId(Map<Integer, Integer> voters) {
            UUID u = UUID.nameUUIDFromBytes(("katamari-kraft:" + voters).getBytes(StandardCharsets.UTF_8));
            return new Uuid(u.getMostSignificantBits(), u.getLeastSignificantBits()).toString();
        }
    }

    /**
     * @param dataDir where topics and metadata live; {@code null} means a fresh temporary directory,
     *                deleted on {@link #close()}. An existing, already formatted directory is reused.
     * @param port    the broker port on 127.0.0.1; 0 picks a free one
     */
    public record Settings(Path dataDir, int port) {
        public Settings {
            if (port < 0 || port > 65_535) {
                throw new IllegalArgumentException("port must be 0 (any free port) or 1..65535, was " + port);
            }
        }

        /** A temporary data dir and a free port. */
        public static Settings defaults() {
            return new Settings(null, 0);
        }
    }
}
