package katamari.it.replicated;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import katamari.it.support.Http;
import katamari.it.support.Katamari;
import katamari.localcluster.ClusterLayout;
import katamari.localcluster.LocalCluster;

/**
 * The replicated cluster of {@code bin/katamari cluster} for a test class: the shipped etc/katamari-cluster.yaml with
 * its pools cut down to one echo pool (so the box keeps cores for the roles; its timeout of 8 s gives share-group
 * locks of 2 s, renewed every second, as in the run that found issue 14), small heaps, a free block of ports,
 * logs and broker data under {@code target/replicated-<name>}, and a fresh start every time.
 */
final class ClusterUnderTest implements AutoCloseable {
    private final LocalCluster local;

    private ClusterUnderTest(LocalCluster local) {
        this.local = local;
    }

    /**
     * @param brokerOverrides broker settings instead of the shipped ones (e.g. Kafka's own defaults, to compare)
     */
    static ClusterUnderTest start(String name, int echoInstances, Map<String, String> brokerOverrides) throws IOException {
        Path dir = Path.of("target", "replicated-" + name).toAbsolutePath();
        deleteTree(dir);
        Files.createDirectories(dir);
        String shipped = Files.readString(Katamari.HOME.resolve("etc/katamari-cluster.yaml"));
        String echo = Katamari.echoCommand().stream().map(a -> "\"" + a + "\"").collect(Collectors.joining(", "));
        Path config = Files.writeString(dir.resolve("katamari-cluster.yaml"), shipped.substring(0, shipped.indexOf("\npools:") + 1) + """
                pools:
                  - name: echo
                    version: v1
                    command: [%s]
                    instances: %d
                    timeout: 8s
                    attempts: 2
                """.formatted(echo, echoInstances));
        ClusterLayout layout = ClusterLayout.standard(freeBlock(), dir, Katamari.HOME).withConfig(config).withJavaOptions(List.of("-Xmx192m"));
        if (!brokerOverrides.isEmpty()) {
            layout = layout.withBrokerOverrides(brokerOverrides);
        }
        long t0 = System.nanoTime();
        LocalCluster local = new LocalCluster(layout).start(line -> System.out.println("CLUSTER " + line));
        System.out.printf("CLUSTER %s ready in %.1f s%n", name, (System.nanoTime() - t0) / 1e9);
        return new ClusterUnderTest(local);
    }

    static ClusterUnderTest start(String name, int echoInstances) throws IOException {
        return start(name, echoInstances, Map.of());
    }

    LocalCluster local() {
        return local;
    }

    /** An admin API call to the first dispatcher (a standby forwards writes to the master). */
    Http.Response admin(String method, String path, String body) {
        return Http.send(method, local.adminUrls().get(0) + path, body, "Katamari-Admin-Key", local.adminKey());
    }

    /** A block of 60 free ports, away from the well-known ones other processes use. */
    private static int freeBlock() {
        for (int attempt = 0; attempt < 50; attempt++) {
            int base = 20_000 + 60 * ThreadLocalRandom.current().nextInt(600);
            boolean free = true;
            for (int p = base; p < base + 60 && free; p++) {
                try (ServerSocket s = new ServerSocket(p, 1, InetAddress.getByName("127.0.0.1"))) {
                    free = true;
                } catch (IOException e) {
                    free = false;
                }
            }
            if (free) {
                return base;
            }
        }
        throw new IllegalStateException("no block of 60 free ports");
    }

    private static void deleteTree(Path p) throws IOException {
        if (Files.exists(p)) {
            try (Stream<Path> paths = Files.walk(p)) {
                paths.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    @Override
    public void close() {
        local.close();
    }
}
