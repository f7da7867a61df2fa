package katamari.localcluster;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What a {@link LocalCluster} runs and where. Ports are fixed offsets from {@code basePort}, so a second cluster on the
 * same machine needs only another base port: brokers {@code base+0..9}, their controllers {@code base+10..19},
 * dispatchers' member ports {@code base+20..29} and admin APIs {@code base+30..39}, gateways {@code base+40..49}, worker
 * metrics {@code base+50..59}.
 *
 * @param brokers      KRaft nodes (combined broker and controller): 1, 3 or 5
 * @param dispatchers  masters (at most 7); with 3 or more, 3 of them form the CP group, with fewer it runs in unsafe mode
 * @param workers      worker agents, ids {@code worker-1}, {@code worker-2}, ... so a restarted one is the same worker
 * @param gateways     HTTP gateways
 * @param basePort     first port of the block of 60 the cluster uses on 127.0.0.1
 * @param dir          state (broker data, the admin key) and {@code logs/}, {@code roles.json}
 * @param config       the Katamari config file every role loads (etc/katamari-cluster.yaml); ports and addresses
 *                     come from flags, so the file needs none
 * @param home         {@code KATAMARI_HOME}, where {@code ${KATAMARI_HOME}} in pool commands points
 * @param jar          the runnable launcher jar every role runs from
 * @param javaOptions  JVM options after each role's defaults, so they win (bin/katamari's {@code KATAMARI_JAVA_OPTS})
 * @param brokerOverrides Kafka server properties over the chosen ones, on every broker (to measure Kafka's defaults)
 */
public record ClusterLayout(int brokers, int dispatchers, int workers, int gateways, int basePort, Path dir, Path config, Path home,
                            Path jar, List<String> javaOptions, Map<String, String> brokerOverrides) {
    static final int BLOCK = 60;

    public ClusterLayout {
        if (brokers != 1 && brokers != 3 && brokers != 5) {
            throw new IllegalArgumentException("brokers must be 1, 3 or 5 (a KRaft quorum), was " + brokers);
        }
        if (dispatchers < 1 || dispatchers > 7) {
            throw new IllegalArgumentException("dispatchers must be 1-7, was " + dispatchers);
        }
        if (workers < 0 || workers > 10 || gateways < 0 || gateways > 10) {
            throw new IllegalArgumentException("workers and gateways must be 0-10, were " + workers + " and " + gateways);
        }
        if (basePort < 1024 || basePort + BLOCK > 65_535) {
            throw new IllegalArgumentException("basePort must leave room for " + BLOCK + " ports in 1024-65535, was " + basePort);
        }
        javaOptions = javaOptions == null ? List.of() : List.copyOf(javaOptions);
        brokerOverrides = brokerOverrides == null ? Map.of() : Map.copyOf(brokerOverrides);
        for (Path p : new Path[] {dir, config, home, jar}) {
            if (p == null) {
                throw new IllegalArgumentException("dir, config, home and jar are required");
            }
        }
    }

    /** The shape: 3 brokers, 3 dispatchers, 2 workers, 2 gateways. */
    public static ClusterLayout standard(int basePort, Path dir, Path home) {
        return new ClusterLayout(3, 3, 2, 2, basePort, dir, home.resolve("etc/katamari-cluster.yaml"), home,
                home.resolve("launcher/target/katamari.jar"), List.of(), Map.of());
    }

    public ClusterLayout withCounts(int newBrokers, int newDispatchers, int newWorkers, int newGateways) {
        return new ClusterLayout(newBrokers, newDispatchers, newWorkers, newGateways, basePort, dir, config, home, jar, javaOptions, brokerOverrides);
    }

    public ClusterLayout withConfig(Path newConfig) {
        return new ClusterLayout(brokers, dispatchers, workers, gateways, basePort, dir, newConfig, home, jar, javaOptions, brokerOverrides);
    }

    public ClusterLayout withJavaOptions(List<String> options) {
        return new ClusterLayout(brokers, dispatchers, workers, gateways, basePort, dir, config, home, jar, options, brokerOverrides);
    }

    public ClusterLayout withBrokerOverrides(Map<String, String> overrides) {
        return new ClusterLayout(brokers, dispatchers, workers, gateways, basePort, dir, config, home, jar, javaOptions, overrides);
    }

    int brokerPort(int i) {
        return basePort + i;
    }

    int controllerPort(int i) {
        return basePort + 10 + i;
    }

    int memberPort(int i) {
        return basePort + 20 + i;
    }

    int adminPort(int i) {
        return basePort + 30 + i;
    }

    int gatewayPort(int i) {
        return basePort + 40 + i;
    }

    int metricsPort(int i) {
        return basePort + 50 + i;
    }
}
