package katamari.kafka.embedded;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import kafka.server.KafkaConfig;
import org.apache.kafka.metadata.properties.MetaPropertiesEnsemble;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;
import org.apache.kafka.server.common.ShareVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** What {@code kafka-storage.sh format} does, in process: writes meta.properties and the bootstrap metadata. */
final class MetadataStorage {
    private static final Logger log = LoggerFactory.getLogger(MetadataStorage.class);

    private MetadataStorage() {}

    /** Formats the log dirs of {@code config} unless they already are, so a restart keeps its topics and groups. */
    static void formatIfNeeded(KafkaConfig config, String clusterId) throws Exception {
        // The Formatter's own ignore-formatted mode still insists on the cluster id it was given, which
        // a restart does not know; the server itself verifies the existing meta.properties on startup.
        if (isFormatted(config)) {
            return;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Formatter formatter = new Formatter()
                .setPrintStream(new PrintStream(out, true, StandardCharsets.UTF_8))
                .setNodeId(config.nodeId())
                .setClusterId(clusterId)
                .setControllerListenerName(config.controllerListenerNames().get(0))
                .setMetadataLogDirectory(config.metadataLogDir())
                .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
                // Share groups are on by default at this release version; stated so an upgrade cannot
                // silently turn them off.
                .setFeatureLevel(ShareVersion.FEATURE_NAME, ShareVersion.LATEST_PRODUCTION.featureLevel())
                .setHasDynamicQuorum(false)
                .setWriteBootstrapSnapshot(true);
        config.logDirs().forEach(formatter::addDirectory);
        formatter.run();
        log.debug("{}", out.toString(StandardCharsets.UTF_8).trim());
    }

    private static boolean isFormatted(KafkaConfig config) {
        return Stream.concat(config.logDirs().stream(), Stream.of(config.metadataLogDir()))
                .allMatch(dir -> Files.exists(Path.of(dir, MetaPropertiesEnsemble.META_PROPERTIES_NAME)));
    }
}
