package katamari.cli;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import katamari.localcluster.ClusterLayout;
import katamari.localcluster.LocalCluster;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "cluster", mixinStandardHelpOptions = true,
        description = "A replicated cluster on this machine, every role its own process on 127.0.0.1: KRaft brokers, dispatchers, workers, gateways.")
final class ClusterCommand implements Callable<Integer> {
    @Option(names = "--brokers", defaultValue = "3", description = "Kafka nodes, each a combined broker and controller: 1, 3 or 5 (default: ${DEFAULT-VALUE})")
    int brokers;

    @Option(names = "--dispatchers", defaultValue = "3", description = "masters; with 3 or more, 3 of them form the CP group, with fewer it runs in unsafe mode (default: ${DEFAULT-VALUE})")
    int dispatchers;

    @Option(names = "--workers", defaultValue = "2", description = "worker agents, ids worker-1, worker-2, ... (default: ${DEFAULT-VALUE})")
    int workers;

    @Option(names = "--gateways", defaultValue = "2", description = "HTTP gateways (default: ${DEFAULT-VALUE})")
    int gateways;

    @Option(names = "--base-port", defaultValue = "19100", description = "first of the 60 ports the cluster uses; another value runs a second cluster"
            + " beside this one (default: ${DEFAULT-VALUE}: brokers +0.., controllers +10.., members +20.., admin +30.., gateways +40.., worker metrics +50..)")
    int basePort;

    @Option(names = "--dir", description = "broker data, logs/ (one file per role), roles.json, admin-key (default: $KATAMARI_HOME/.katamari/cluster)")
    Path dir;

    @Option(names = "--config", description = "the config every role loads (default: $KATAMARI_HOME/etc/katamari-cluster.yaml)")
    Path config;

    @Option(names = "--broker-override", paramLabel = "KEY=VALUE", description = "a Kafka server property on every broker (repeatable)")
    Map<String, String> brokerOverrides = new LinkedHashMap<>();

    @Override
    public Integer call() throws Exception {
        long t0 = System.nanoTime();
        Path home = ConfigOptions.home();
        String jar = System.getenv("KATAMARI_JAR");
        String javaOpts = System.getenv("KATAMARI_JAVA_OPTS");
        ClusterLayout layout = new ClusterLayout(brokers, dispatchers, workers, gateways, basePort,
                dir != null ? dir : home.resolve(".katamari").resolve("cluster"),
                config != null ? config : home.resolve("etc").resolve("katamari-cluster.yaml"), home,
                jar != null ? Path.of(jar) : home.resolve("launcher").resolve("target").resolve("katamari.jar"),
                javaOpts == null || javaOpts.isBlank() ? List.of() : Arrays.asList(javaOpts.trim().split("\\s+")), brokerOverrides);
        LocalCluster cluster = new LocalCluster(layout);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("katamari: stopping the cluster ...");
            cluster.close();
            stopped.countDown();
        }, "katamari-cluster-shutdown"));
        System.out.println("WARNING: the gateways serve every pool without a key (a local cluster on 127.0.0.1); keep this box private");
        cluster.start(System.out::println);
        System.out.printf("Katamari cluster is ready: gateways %s  admin %s  kafka %s  (%.1f s; admin key in %s, pids and ports in %s; Ctrl-C stops everything)%n",
                String.join(" ", cluster.gatewayUrls()), String.join(" ", cluster.adminUrls()), cluster.bootstrap(),
                (System.nanoTime() - t0) / 1e9, layout.dir().resolve("admin-key"), cluster.rolesFile());
        stopped.await();
        return 0;
    }
}
