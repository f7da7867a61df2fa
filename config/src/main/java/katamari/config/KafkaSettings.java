package katamari.config;

import java.util.Map;
import java.util.Properties;

/**
 * How to reach Kafka. {@code properties} are passed through to every client unchanged (TLS, SASL, ...);
 * they are never logged because they may hold secrets.
 */
public record KafkaSettings(String bootstrap, int partitions, short replicationFactor, Map<String, String> properties) {
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
    }

    public static KafkaSettings defaults() {
        return new KafkaSettings(DEFAULT_BOOTSTRAP, 1, (short) 1, Map.of());
    }

    public KafkaSettings withBootstrap(String newBootstrap) {
        return new KafkaSettings(newBootstrap, partitions, replicationFactor, properties);
    }

    /** Base properties for any Kafka client: bootstrap plus the pass-through ones. */
    public Properties clientProperties() {
        Properties p = new Properties();
        p.putAll(properties);
        p.put("bootstrap.servers", bootstrap);
        return p;
    }
}
