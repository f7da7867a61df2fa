package katamari.cli;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import katamari.config.KatamariConfig;
import katamari.dispatcher.Dispatcher;
import katamari.gateway.Gateway;
import katamari.kafka.embedded.EmbeddedKafka;
import katamari.worker.WorkerAgent;
import katamari.worker.membership.WorkerMembership;
import katamari.worker.metrics.WorkerMetrics;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "dev", mixinStandardHelpOptions = true,
        description = "Everything in one process: a real Kafka broker (KRaft), a dispatcher, a worker and a gateway on 127.0.0.1.")
final class DevCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions options;

    @Option(names = "--port", description = "gateway HTTP port (default: ${DEFAULT-VALUE})", defaultValue = "8080")
    int port;

    @Option(names = "--kafka-port", description = "embedded Kafka broker port (default: ${DEFAULT-VALUE})", defaultValue = "9092")
    int kafkaPort;

    @Option(names = "--data-dir", description = "broker data (default: $KATAMARI_HOME/.katamari/kafka)")
    Path dataDir;

    @Option(names = "--member-port", description = "Hazelcast member port of the one dispatcher (default: ${DEFAULT-VALUE})", defaultValue = "5701")
    int memberPort;

    @Option(names = "--admin-port", description = "admin API port (default: ${DEFAULT-VALUE}; 0: any free port)", defaultValue = "8090")
    int adminPort;

    @Override
    public Integer call() throws Exception {
        long t0 = System.nanoTime();
        KatamariConfig base = options.load();
        Roles roles = new Roles();
        Path data = dataDir != null ? dataDir : ConfigOptions.home().resolve(".katamari").resolve("kafka");
        // one box: any free member and admin port will do when the usual ones are taken (another dev running)
        int member = freeOr(memberPort, "Hazelcast member", t0);
        int admin = adminPort == 0 ? 0 : freeOr(adminPort, "admin API", t0);
        KatamariConfig config = base.withKafka(base.kafka().withBootstrap("127.0.0.1:" + kafkaPort))
                .withGateway(base.gateway().withPort(port).withOpen(base.gateway().apiKeys().isEmpty()))
                .withCluster(base.cluster().forOneBox(member, admin));
        // the Hazelcast member starts while the broker does: neither needs the other to come up
        step(t0, "dispatcher: Hazelcast member on " + config.cluster().self() + " (one box: CP Subsystem in unsafe mode)");
        Dispatcher dispatcher = roles.add(new Dispatcher(config, Dispatcher.PoolSource.CONFIG_FILE));
        if (kafkaPort == 0) {
            throw new IllegalArgumentException("--kafka-port must name a port: the dispatcher starts before the broker");
        }
        CompletableFuture<Void> master = CompletableFuture.runAsync(dispatcher::start);
        step(t0, "starting Kafka broker (KRaft) on 127.0.0.1:" + kafkaPort + ", data in " + data);
        EmbeddedKafka kafka = roles.add(EmbeddedKafka.start(new EmbeddedKafka.Settings(data, kafkaPort)));
        master.join();
        if (config.cluster().adminOpen()) {
            step(t0, "WARNING: admin API " + dispatcher.adminUrl() + " is OPEN (no cluster.adminKey): dev only, keep this box private");
        } else {
            step(t0, "admin API " + dispatcher.adminUrl() + " (needs the admin key)");
        }
        WorkerAgent worker = roles.add(new WorkerAgent(config));
        worker.startEmpty();
        WorkerMembership membership = roles.add(new WorkerMembership(worker, dispatcher.hazelcast(), config.cluster()));
        membership.start();
        int instances = config.pools().stream().mapToInt(p -> p.instances()).sum();
        step(t0, "worker " + worker.id() + ": waiting for its placement (" + instances + " instance(s) configured)");
        if (!membership.awaitFirstPlacement(Duration.ofSeconds(30)) || !worker.awaitInstances(config.worker().launchTimeout().plusSeconds(10))) {
            step(t0, "warning: not every instance said hello yet; see the log above");
        }
        WorkerMetrics workerMetrics = roles.add(new WorkerMetrics(worker));
        step(t0, "worker metrics on http://127.0.0.1:" + workerMetrics.serve("127.0.0.1", 0) + "/metrics");
        step(t0, "gateway: starting on http://" + config.gateway().host() + ":" + port);
        if (config.gateway().apiKeys().isEmpty()) {
            step(t0, "WARNING: the gateway is OPEN (no gateway.apiKeys): anyone who reaches it may call every pool; dev only, keep this box private");
        } else {
            step(t0, "gateway API keys: " + config.gateway().apiKeys().keySet());
        }
        Gateway gateway = roles.add(new Gateway(config, dispatcher.hazelcast()));
        gateway.start();
        while (!gateway.isReady()) {
            Thread.sleep(20); // readiness is a flag flipped by the reply consumer; there is nothing to block on
        }
        System.out.printf("Katamari is ready: gateway http://%s:%d  kafka %s  admin %s  (%.1f s; Ctrl-C stops everything)%n",
                config.gateway().host(), gateway.port(), kafka.bootstrapServers(), dispatcher.adminUrl(), seconds(t0));
        System.out.println("try: curl -s -XPOST localhost:" + gateway.port()
                + "/pools/echo/echo -H 'content-type: application/json' -d '{\"text\":\"hi\"}'");
        roles.awaitShutdown();
        return 0;
    }

    private static int freeOr(int wanted, String what, long t0) throws IOException {
        try (ServerSocket s = new ServerSocket(wanted, 1, InetAddress.getByName("127.0.0.1"))) {
            return wanted;
        } catch (IOException busy) {
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
                step(t0, what + " port " + wanted + " is taken; using " + s.getLocalPort());
                return s.getLocalPort();
            }
        }
    }

    private static void step(long t0, String what) {
        System.out.printf("[%5.1f s] %s%n", seconds(t0), what);
    }

    private static double seconds(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }
}
