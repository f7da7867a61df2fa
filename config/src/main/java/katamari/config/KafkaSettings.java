package katamari.config;

import java.util.Map;
import java.util.Properties;

/**
 * How to reach Kafka, and how the topics Katamari creates are replicated. {@code properties} are passed through to
 * every client unchanged (TLS, SASL, ...); they are never logged because they may hold secrets.
 *
 * @param minInsyncReplicas {@code min.insync.replicas} of every topic Katamari creates (request, dead-letter and
 *                          reply topics); null leaves the broker's default in force. With replication factor 3, 2
 *                          keeps an acknowledged record on two brokers and still accepts writes with one broker down.
 */
public record KafkaSettings(String bootstrap, int partitions, short replicationFactor, Map<String, String> properties,
                            Integer minInsyncReplicas) {
    public static final String DEFAULT_BOOTSTRAP = "127.0.0.1:9092";

    public KafkaSettings {
        if (bootstrap == null || bootstrap.isBlank()) {
            throw new IllegalArgumentException("kafka.bootstrap must name at least one host:port");
        }
        if (partitions < 1) {
            throw new IllegalArgumentException("kafka.partitions must be at least 1, was " + partitions);
        }
        if (replicationFactor < 1) {
            throw new IllegalArgumentException("kafka.replicationFactor must be at least 1, was " + replicationFactor);
        }
        properties = properties == null ? Map.of() : Map.copyOf(properties);
        if (minInsyncReplicas != null && (minInsyncReplicas < 1 || minInsyncReplicas > replicationFactor)) {
            // above the replication factor, every acks=all write would be refused
            throw new IllegalArgumentException("kafka.minInsyncReplicas must be 1.." + replicationFactor
                    + " (kafka.replicationFactor), was " + minInsyncReplicas);
        }
    }

    /** With the broker's own {@code min.insync.replicas}. */
    public KafkaSettings(String bootstrap, int partitions, short replicationFactor, Map<String, String> properties) {
        this(bootstrap, partitions, replicationFactor, properties, null);
    }

    public static KafkaSettings defaults() {
        return new KafkaSettings(DEFAULT_BOOTSTRAP, 1, (short) 1, Map.of(), null);
    }

    public KafkaSettings withBootstrap(String newBootstrap) {
        return new KafkaSettings(newBootstrap, partitions, replicationFactor, properties, minInsyncReplicas);
    }

    /** Base properties for any Kafka client: bootstrap plus the pass-through ones. */
    public Properties clientProperties() {
        Properties p = new Properties();
        p.putAll(properties);
        p.put("bootstrap.servers", bootstrap);
        return p;
    }

    /** Topic-level configs every topic Katamari creates gets, on top of its own. */
    public Map<String, String> topicConfigs() {
        return minInsyncReplicas == null ? Map.of() : Map.of("min.insync.replicas", String.valueOf(minInsyncReplicas));
    }
}
