package katamari.cli;

import java.nio.file.Path;
import katamari.config.ConfigLoader;
import katamari.config.KatamariConfig;
import picocli.CommandLine.Option;

/** Options every role shares: where the config is and where Kafka is. */
final class ConfigOptions {
    @Option(names = "--config", description = "YAML config file (default: $KATAMARI_HOME/etc/katamari-dev.yaml)")
    Path config;

    @Option(names = "--kafka", description = "Kafka bootstrap servers, overriding the config file")
    String kafka;

    KatamariConfig load() {
        KatamariConfig c = ConfigLoader.load(config != null ? config : defaultFile());
        return kafka == null ? c : c.withKafka(c.kafka().withBootstrap(kafka));
    }

    static Path home() {
        String home = System.getenv("KATAMARI_HOME");
        return home != null ? Path.of(home) : Path.of("").toAbsolutePath();
    }

    static Path defaultFile() {
        return home().resolve("etc").resolve("katamari-dev.yaml");
    }
}
