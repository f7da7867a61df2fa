package katamari.config;

import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** The whole configuration: one YAML file plus {@code KATAMARI_*} environment overrides (see {@link ConfigLoader}). */
public record KatamariConfig(KafkaSettings kafka, GatewaySettings gateway, WorkerSettings worker, List<PoolDefinition> pools,
                             ClusterSettings cluster) {
    public KatamariConfig {
        cluster = cluster == null ? ClusterSettings.defaults() : cluster;
        kafka = kafka == null ? KafkaSettings.defaults() : kafka;
        gateway = gateway == null ? GatewaySettings.defaults() : gateway;
        worker = worker == null ? WorkerSettings.defaults() : worker;
        pools = pools == null ? List.of() : List.copyOf(pools);
        Set<String> seen = new HashSet<>();
        for (PoolDefinition p : pools) {
            if (!seen.add(p.key())) {
                throw new IllegalArgumentException("pool " + p.key() + " is defined twice");
            }
        }
    }

    /** Without cluster settings (their defaults apply). */
    public KatamariConfig(KafkaSettings kafka, GatewaySettings gateway, WorkerSettings worker, List<PoolDefinition> pools) {
        this(kafka, gateway, worker, pools, null);
    }

    public static KatamariConfig defaults() {
        return new KatamariConfig(null, null, null, null, null);
    }

    public Optional<PoolDefinition> pool(String name, String version) {
        return pools.stream().filter(p -> p.name().equals(name) && p.version().equals(version)).findFirst();
    }

    public KatamariConfig withKafka(KafkaSettings k) {
        return new KatamariConfig(k, gateway, worker, pools, cluster);
    }

    public KatamariConfig withGateway(GatewaySettings g) {
        return new KatamariConfig(kafka, g, worker, pools, cluster);
    }

    public KatamariConfig withWorker(WorkerSettings w) {
        return new KatamariConfig(kafka, gateway, w, pools, cluster);
    }

    public KatamariConfig withPools(List<PoolDefinition> p) {
        return new KatamariConfig(kafka, gateway, worker, p, cluster);
    }

    public KatamariConfig withCluster(ClusterSettings c) {
        return new KatamariConfig(kafka, gateway, worker, pools, c);
    }
}
