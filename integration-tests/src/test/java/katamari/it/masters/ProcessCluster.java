package katamari.it.masters;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import katamari.dispatcher.rollout.AdminClient;
import katamari.it.support.FreePorts;
import katamari.it.support.KafkaFixture;
import katamari.it.support.Katamari;
import org.awaitility.Awaitility;

/**
 * A whole Katamari as separate JVMs on 127.0.0.1: dispatchers (the master list, in priority order), workers and a
 * gateway, against the shared test broker, each role started from the runnable jar as an operator would.
 */
final class ProcessCluster implements AutoCloseable {
    static final String KEY = "it-admin-key-" + UUID.randomUUID();

    private final Path dir;
    private final Path config;
    private final int[] memberPorts;
    private final int[] adminPorts;
    private final int gatewayPort;
    final List<RoleProcess> dispatchers = new ArrayList<>();
    final List<RoleProcess> workers = new ArrayList<>();
    RoleProcess gateway;

    ProcessCluster(Path dir, int dispatcherCount, int cpMembers, int echoInstances) throws IOException {
        this.dir = dir;
        this.memberPorts = FreePorts.pick(dispatcherCount);
        this.adminPorts = FreePorts.pick(dispatcherCount);
        this.gatewayPort = FreePorts.pick(1)[0];
        String members = java.util.Arrays.stream(memberPorts).mapToObj(p -> "\"127.0.0.1:" + p + "\"").collect(Collectors.joining(", "));
        String echo = Katamari.echoCommand().stream().map(a -> "\"" + a + "\"").collect(Collectors.joining(", "));
        this.config = Files.writeString(dir.resolve("katamari.yaml"), """
                kafka:
                  bootstrap: %s
                gateway:
                  host: 127.0.0.1
                  timeout: 30s
                  open: true
                worker:
                  launchTimeout: 30s
                  killGrace: 1s
                  allowedCommands: [java]
                cluster:
                  name: it-%s
                  members: [%s]
                  cpMemberCount: %d
                  sessionTtl: 4s
                  sessionHeartbeat: 1s
                  memberTimeout: 10s
                  workerHeartbeat: 1s
                  workerTtl: 4s
                  workerCapacity: 8
                pools:
                  - name: echo
                    version: v1
                    command: [%s]
                    instances: %d
                    timeout: 20s
                    attempts: 3
                """.formatted(KafkaFixture.bootstrapServers(), UUID.randomUUID().toString().substring(0, 8), members, cpMembers,
                echo, echoInstances));
        for (int i = 0; i < dispatcherCount; i++) {
            dispatchers.add(new RoleProcess("dispatcher-" + (i + 1), dir, env(), "dispatcher", "--config", config.toString(),
                    "--member-port", String.valueOf(memberPorts[i]), "--admin-port", String.valueOf(adminPorts[i])));
        }
    }

    private static Map<String, String> env() {
        return Map.of("KATAMARI_CLUSTER_ADMIN_KEY", KEY);
    }

    RoleProcess addWorker() {
        RoleProcess w = new RoleProcess("worker-" + (workers.size() + 1), dir, env(), "worker", "--config", config.toString());
        workers.add(w);
        return w.start();
    }

    RoleProcess startGateway() {
        gateway = new RoleProcess("gateway", dir, env(), "gateway", "--config", config.toString(), "--port", String.valueOf(gatewayPort));
        return gateway.start();
    }

    AdminClient admin(int i) {
        return new AdminClient("http://127.0.0.1:" + adminPorts[i], KEY);
    }

    String address(int i) {
        return "127.0.0.1:" + memberPorts[i];
    }

    String gatewayUrl(String path) {
        return "http://127.0.0.1:" + gatewayPort + path;
    }

    JsonNode cluster(int i) {
        return admin(i).clusterView();
    }

    /** The dispatcher that says it leads, and its fence. */
    record Leader(int index, long fence) {}

    /** The live dispatcher that says it leads (its own answer, fence included), or null. */
    Leader leader() {
        for (int i = 0; i < dispatchers.size(); i++) {
            if (dispatchers.get(i).running()) {
                JsonNode c = cluster(i);
                if (c != null && c.path("self").path("leader").asBoolean()) {
                    return new Leader(i, c.path("self").path("fence").asLong());
                }
            }
        }
        return null;
    }

    void awaitLeader(int i, Duration atMost) {
        Awaitility.await("dispatcher-" + (i + 1) + " leads").atMost(atMost).pollInterval(Duration.ofMillis(100))
                .until(this::leader, l -> l != null && l.index() == i);
    }

    /** Running echo instances in the given worker's own report, as the master sees it (null: not registered). */
    JsonNode worker(int dispatcher, String id) {
        JsonNode c = cluster(dispatcher);
        if (c == null) {
            return null;
        }
        for (JsonNode w : c.path("workers")) {
            if (w.path("id").asText().equals(id)) {
                return w;
            }
        }
        return null;
    }


    @Override
    public void close() {
        if (gateway != null) {
            gateway.close();
        }
        workers.forEach(RoleProcess::close);
        dispatchers.forEach(RoleProcess::close);
    }
}
