package katamari.cli;

import java.util.List;
import katamari.config.ClusterSettings;
import katamari.config.KatamariConfig;
import picocli.CommandLine.Option;

/** Where the Hazelcast cluster is, overriding the config file's {@code cluster} section. */
final class ClusterOptions {
    @Option(names = "--members", split = ",", paramLabel = "HOST:PORT",
            description = "the master list (dispatchers' member addresses) in priority order, overriding cluster.members")
    List<String> members;

    KatamariConfig apply(KatamariConfig c) {
        return members == null || members.isEmpty() ? c : c.withCluster(c.cluster().withMembers(members));
    }

    static ClusterSettings member(ClusterSettings s, String host, Integer port, Integer adminPort) {
        return s.withMember(host != null ? host : s.host(), port != null ? port : s.port(), adminPort != null ? adminPort : s.adminPort());
    }
}
