package katamari.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import katamari.kafka.embedded.EmbeddedKafka;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "broker", mixinStandardHelpOptions = true,
        description = "Run one node (combined broker and controller) of a replicated KRaft cluster from Kafka's own jars, on 127.0.0.1.")
final class BrokerCommand implements Callable<Integer> {
    @Option(names = "--node-id", required = true, description = "this node's id, one of --voters")
    int nodeId;

    @Option(names = "--port", required = true, description = "broker (client) port")
    int port;

    @Option(names = "--voters", required = true, split = ",", paramLabel = "ID@PORT",
            description = "every node's controller port, e.g. 1@19093,2@19094,3@19095 (the same on every node; fixed for the cluster's life)")
    List<String> voters;

    @Option(names = "--data-dir", required = true, description = "this node's topics and metadata; formatted on first use, reused after")
    Path dataDir;

    @Option(names = "--cluster-id", description = "the id to format a new data dir with (default: derived from --voters)")
    String clusterId;

    @Option(names = "--override", paramLabel = "KEY=VALUE", description = "a server property over the chosen ones (repeatable), "
            + "e.g. --override broker.session.timeout.ms=9000 to measure Kafka's default")
    Map<String, String> overrides = new LinkedHashMap<>();

    @Override
    public Integer call() throws Exception {
        long t0 = System.nanoTime();
        Map<Integer, Integer> quorum = new LinkedHashMap<>();
        for (String v : voters) {
            String[] idPort = v.split("@");
            if (idPort.length != 2) {
                throw new IllegalArgumentException("--voters: '" + v + "' is not ID@PORT");
            }
            quorum.put(Integer.parseInt(idPort[0].trim()), Integer.parseInt(idPort[1].trim()));
        }
        EmbeddedKafka.Node node = new EmbeddedKafka.Node(nodeId, quorum, port, dataDir, clusterId, overrides);
        Roles roles = new Roles();
        System.out.println("broker " + nodeId + ": starting on 127.0.0.1:" + port + ", quorum " + node.quorumVoters()
                + ", data in " + dataDir + " (ready once a majority of the voters runs)");
        EmbeddedKafka kafka = roles.add(EmbeddedKafka.startNode(node));
        System.out.printf("broker %d ready on %s (controller 127.0.0.1:%d, %.1f s)%n",
                nodeId, kafka.bootstrapServers(), quorum.get(nodeId), (System.nanoTime() - t0) / 1e9);
        roles.awaitShutdown();
        return 0;
    }
}
