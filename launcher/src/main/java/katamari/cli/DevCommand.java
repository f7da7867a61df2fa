package katamari.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import katamari.config.KatamariConfig;
import katamari.dispatcher.Dispatcher;
import katamari.gateway.Gateway;
import katamari.kafka.embedded.EmbeddedKafka;
import katamari.worker.WorkerAgent;
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

    @Override
    public Integer call() throws Exception {
        long t0 = System.nanoTime();
        KatamariConfig base = options.load();
        Roles roles = new Roles();
        Path data = dataDir != null ? dataDir : ConfigOptions.home().resolve(".katamari").resolve("kafka");
        step(t0, "starting Kafka broker (KRaft) on 127.0.0.1:" + kafkaPort + ", data in " + data);
        EmbeddedKafka kafka = roles.add(EmbeddedKafka.start(new EmbeddedKafka.Settings(data, kafkaPort)));
        KatamariConfig config = base.withKafka(base.kafka().withBootstrap(kafka.bootstrapServers()))
                .withGateway(base.gateway().withPort(port));
        step(t0, "dispatcher: provisioning topics for " + config.pools().size() + " pool-version(s)");
        roles.add(new Dispatcher(config)).start();
        WorkerAgent worker = roles.add(new WorkerAgent(config));
        int instances = config.pools().stream().mapToInt(p -> p.instances()).sum();
        step(t0, "worker " + worker.id() + ": starting " + instances + " instance(s)");
        worker.start();
        if (!worker.awaitInstances(config.worker().launchTimeout().plusSeconds(10))) {
            step(t0, "warning: not every instance said hello yet; see the log above");
        }
        step(t0, "gateway: starting on http://" + config.gateway().host() + ":" + port);
        Gateway gateway = roles.add(new Gateway(config));
        gateway.start();
        while (!gateway.isReady()) {
            Thread.sleep(20); // readiness is a flag flipped by the reply consumer; there is nothing to block on
        }
        System.out.printf("Katamari is ready: gateway http://%s:%d  kafka %s  (%.1f s; Ctrl-C stops everything)%n",
                config.gateway().host(), gateway.port(), kafka.bootstrapServers(), seconds(t0));
        System.out.println("try: curl -s -XPOST localhost:" + gateway.port()
                + "/pools/echo/echo -H 'content-type: application/json' -d '{\"text\":\"hi\"}'");
        roles.awaitShutdown();
        return 0;
    }

    private static void step(long t0, String what) {
        System.out.printf("[%5.1f s] %s%n", seconds(t0), what);
    }

    private static double seconds(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }
}
