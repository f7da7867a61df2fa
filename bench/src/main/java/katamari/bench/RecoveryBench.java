package katamari.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import katamari.client.Answer;
import katamari.client.KatamariClient;
import katamari.config.KafkaSettings;
import katamari.config.KatamariConfig;
import katamari.config.PoolDefinition;
import katamari.config.WorkerSettings;
import katamari.dispatcher.provisioning.TopicProvisioner;
import katamari.kafka.embedded.EmbeddedKafka;
import katamari.topics.Request;
import katamari.topics.TopicNames;
import katamari.topics.WireCodec;
import katamari.worker.WorkerAgent;

/**
 * How fast supervision recovers, measured on real parts: an embedded broker, a worker agent, the faulty example
 * chassis (a real JVM process per instance) and a Kafka client. Prints medians of repeated runs:
 * crash → the replacement instance answering, and a request's deadline → its hung instance gone.
 */
final class RecoveryBench {
    private final Path home;
    private final int runs;

    RecoveryBench(Path home, int runs) {
        this.home = home;
        this.runs = runs;
    }

    int run() throws Exception {
        PoolDefinition faulty = PoolDefinition.of("faulty", "bench", List.of("java", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                "-jar", home.resolve("examples/faulty/target/katamari-faulty.jar").toString())).withAttempts(1);
        WorkerSettings settings = WorkerSettings.defaults().withKillGrace(Duration.ofSeconds(1)).withAllowedCommands(List.of("java"));
        try (EmbeddedKafka kafka = EmbeddedKafka.start(EmbeddedKafka.Settings.defaults())) {
            KatamariConfig config = KatamariConfig.defaults().withKafka(KafkaSettings.defaults().withBootstrap(kafka.bootstrapServers()))
                    .withWorker(settings).withPools(List.of(faulty));
            try (TopicProvisioner provisioner = new TopicProvisioner(config.kafka())) {
                provisioner.provision(config.pools());
            }
            WorkerAgent agent = new WorkerAgent(config);
            KatamariClient client = new KatamariClient(config.kafka(), TopicNames.replies("bench-" + UUID.randomUUID().toString().substring(0, 6)));
            try {
                agent.start();
                agent.awaitInstances(Duration.ofSeconds(60));
                client.start();
                List<Double> crash = new ArrayList<>();
                List<Double> kill = new ArrayList<>();
                for (int i = 0; i < runs; i++) {
                    crash.add(crashToAnswer(client));
                    kill.add(deadlineToKill(client));
                }
                System.out.printf("crash -> replacement answering: median %.0f ms %s%n", median(crash), crash);
                System.out.printf("deadline -> hung instance gone (SIGTERM, %d ms grace, SIGKILL): median %.0f ms %s%n",
                        settings.killGrace().toMillis(), median(kill), kill);
            } finally {
                client.close();
                agent.close();
            }
        }
        return 0;
    }

    /** From the crash answer (the instance is dead) until a call is answered by its replacement. */
    private double crashToAnswer(KatamariClient client) {
        long before = pid(client);
        Answer crashed = call(client, "crash", args(), 10_000);
        if (!crashed.reply().isError()) {
            throw new IllegalStateException("crash did not crash: " + crashed.reply());
        }
        long t0 = System.nanoTime();
        long after = pid(client);
        double ms = (System.nanoTime() - t0) / 1e6;
        if (after == before) {
            throw new IllegalStateException("the same instance answered after its crash");
        }
        return ms;
    }

    /** From the request's deadline until the hung process is gone. */
    private double deadlineToKill(KatamariClient client) throws Exception {
        long victim = pid(client);
        ObjectNode a = args();
        a.put("log", Path.of(System.getProperty("java.io.tmpdir"), "katamari-bench-hang.log").toString());
        long deadline = System.currentTimeMillis() + 1000;
        client.call("faulty", "bench", UUID.randomUUID().toString(), new Request("hang", a), deadline, null);
        ProcessHandle h = ProcessHandle.of(victim).orElseThrow();
        h.onExit().get();
        double ms = System.currentTimeMillis() - deadline;
        pid(client); // wait for the replacement before the next run
        return ms;
    }

    private long pid(KatamariClient client) {
        Answer a = call(client, "pid", args(), 60_000);
        if (a.reply().isError()) {
            throw new IllegalStateException("pid failed: " + a.reply().error());
        }
        return a.reply().result().asLong();
    }

    private static Answer call(KatamariClient client, String method, ObjectNode args, long timeoutMs) {
        return client.call("faulty", "bench", UUID.randomUUID().toString(), new Request(method, args),
                System.currentTimeMillis() + timeoutMs, null).join();
    }

    private static ObjectNode args() {
        return WireCodec.mapper().createObjectNode();
    }

    private static double median(List<Double> values) {
        return Bench.median(values.stream().mapToDouble(Double::doubleValue).toArray());
    }
}
