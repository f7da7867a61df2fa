package katamari.kafka.embedded;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One node of a test cluster in a JVM of its own, so a test can kill it with SIGKILL:
 * {@code NodeMain <node id> <broker port> <data dir> <id>=<controller port>,... [key=value;...]} (the last: server
 * property overrides). Prints {@code ready} once it answers.
 */
public final class NodeMain {
    private NodeMain() {}

    public static void main(String[] args) throws InterruptedException {
        Map<Integer, Integer> voters = new LinkedHashMap<>();
        for (String v : args[3].split(",")) {
            String[] idPort = v.split("=");
            voters.put(Integer.parseInt(idPort[0]), Integer.parseInt(idPort[1]));
        }
        Map<String, String> overrides = new LinkedHashMap<>();
        if (args.length > 4 && !args[4].isBlank()) {
            for (String kv : args[4].split(";")) {
                overrides.put(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
            }
        }
        EmbeddedKafka node = EmbeddedKafka.startNode(new EmbeddedKafka.Node(
                Integer.parseInt(args[0]), voters, Integer.parseInt(args[1]), Path.of(args[2]), null, overrides));
        Runtime.getRuntime().addShutdownHook(new Thread(node::close));
        System.out.println("ready " + node.bootstrapServers());
        Thread.currentThread().join();
    }
}
