package katamari.bench;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import katamari.client.KatamariClient;
import katamari.config.KafkaSettings;
import katamari.config.PoolDefinition;
import katamari.dispatcher.provisioning.TopicProvisioner;
import katamari.kafka.embedded.EmbeddedKafka;
import katamari.topics.TopicNames;

/**
 * {@code sleep10} with 1, 4 and 16 instances: requests/s as a fraction of the ideal (instances × 100/s), and the
 * worker agent's resident memory while it runs 16 of them (chassis processes are separate processes, so excluded).
 *
 * <p>Runs its own embedded broker (in this JVM) and, per instance count, a worker agent started with
 * {@code bin/katamari worker --standalone} (which execs its JVM, so the child's RSS is the agent's alone). The client produces
 * straight to the request topic with {@code --backlog} × instances requests outstanding (default 4), so that what is
 * measured is the pool's capacity: with 2, replies and new requests in transit left instances waiting for work.
 * Each instance count runs with the pool's {@code pipeline} on and off, side by side.
 */
final class ScalingBench {
    private final Path home;
    private final List<Integer> instanceCounts;
    private final List<Boolean> pipelineModes;
    private final int perInstance;
    private final int runs;
    private final Duration warmup;
    private final Duration measure;

    ScalingBench(Path home, List<Integer> instanceCounts, List<Boolean> pipelineModes, int perInstance, int runs, Duration warmup, Duration measure) {
        this.home = home;
        this.perInstance = perInstance;
        this.instanceCounts = instanceCounts;
        this.pipelineModes = pipelineModes;
        this.runs = runs;
        this.warmup = warmup;
        this.measure = measure;
    }

    void run() throws Exception {
        Map<String, List<double[]>> rows = new TreeMap<>();
        try (EmbeddedKafka kafka = EmbeddedKafka.start(EmbeddedKafka.Settings.defaults())) {
            for (int run = 1; run <= runs; run++) {
                for (int n : instanceCounts) {
                    for (boolean pipeline : pipelineModes) { // side by side, in the same minute of a noisy machine
                        String label = String.format("sleep10 x%-3d pipeline %-3s", n, pipeline ? "on" : "off");
                        double[] r = once(kafka.bootstrapServers(), n, pipeline, run);
                        rows.computeIfAbsent(label, k -> new ArrayList<>()).add(r);
                        System.out.printf("  %s run %d: %.0f req/s = %.1f %% of ideal %d/s, p50=%.2f p99=%.2f ms, worker RSS %.0f MB (peak %.0f MB)%n",
                                label, run, r[0], r[1], n * 100, r[2], r[3], r[4], r[5]);
                    }
                }
            }
        }
        rows.forEach((label, list) -> System.out.printf("%-36s MEDIAN of %d: %.0f req/s = %.1f %% of ideal, p50=%.2f p99=%.2f ms, worker RSS %.0f MB (peak %.0f MB)%n",
                label, list.size(), Bench.median(list, 0), Bench.median(list, 1), Bench.median(list, 2),
                Bench.median(list, 3), Bench.median(list, 4), Bench.median(list, 5)));
    }

    /** @return {req/s, % of ideal, p50 ms, p99 ms, worker RSS MB, worker peak RSS MB} */
    private double[] once(String bootstrap, int instances, boolean pipeline, int run) throws Exception {
        String version = "n" + instances + (pipeline ? "p" : "s") + "r" + run + UUID.randomUUID().toString().substring(0, 4);
        PoolDefinition pool = PoolDefinition.of("sleep", version, echoCommand()).withInstances(instances).withPipeline(pipeline);
        try (TopicProvisioner provisioner = new TopicProvisioner(KafkaSettings.defaults().withBootstrap(bootstrap))) {
            provisioner.provision(List.of(pool));
        }
        Path config = Files.createTempFile("katamari-bench-scaling", ".yaml");
        Files.writeString(config, yaml(bootstrap, pool));
        Process worker = startWorker(config);
        String rep = "katamari.replies.bench-" + UUID.randomUUID().toString().substring(0, 6);
        KatamariClient.createTopic(KafkaSettings.defaults().withBootstrap(bootstrap), rep);
        try {
            DirectKafka direct = new DirectKafka(bootstrap, TopicNames.requests(pool.name(), pool.version()));
            ClosedLoop loop = direct.loop(Bench.Workload.SLEEP10, rep);
            // warm up until every instance has answered (16 JVMs starting on 2 cores take a while)
            long until = System.nanoTime() + Duration.ofSeconds(180).toNanos();
            while (loop.instancesSeen().size() < instances) {
                if (System.nanoTime() > until || !worker.isAlive()) {
                    throw new IllegalStateException("only " + loop.instancesSeen().size() + " of " + instances + " instances answered");
                }
                loop.run(perInstance * instances, Duration.ZERO, Duration.ofSeconds(1));
            }
            ClosedLoop.Result r = loop.run(perInstance * instances, warmup, measure);
            long[] rss = rssKb(worker.pid());
            return new double[] {r.rps(), 100.0 * r.rps() / (instances * 100.0), r.latencies().percentileMs(50),
                    r.latencies().percentileMs(99), rss[0] / 1024.0, rss[1] / 1024.0};
        } finally {
            worker.destroy(); // SIGTERM: the agent drains and stops its instances
            if (!worker.waitFor(60, TimeUnit.SECONDS)) {
                worker.destroyForcibly();
            }
            Files.deleteIfExists(config);
        }
    }

    private List<String> echoCommand() {
        return List.of("java", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xss512k", "-Xmx64m", "-jar",
                home.resolve("examples/echo/target/katamari-echo.jar").toString());
    }

    private static String yaml(String bootstrap, PoolDefinition pool) {
        StringBuilder command = new StringBuilder();
        for (String arg : pool.command()) {
            command.append(command.length() == 0 ? "" : ", ").append('"').append(arg).append('"');
        }
        return "kafka:\n  bootstrap: " + bootstrap + "\n"
                + "worker:\n  allowedCommands: [java]\n"
                + "pools:\n  - name: " + pool.name() + "\n    version: " + pool.version() + "\n    command: [" + command + "]\n"
                + "    instances: " + pool.instances() + "\n    timeout: 30s\n    attempts: 2\n    pipeline: " + pool.pipelines() + "\n";
    }

    /** The agent exactly as an operator starts it: {@code bin/katamari worker --standalone} (same JVM options). */
    private Process startWorker(Path config) throws Exception {
        List<String> argv = List.of(home.resolve("bin/katamari").toString(), "worker", "--standalone", "--config", config.toString());
        ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true);
        // the agent's JVM options, when measuring other ones: bin/katamari appends KATAMARI_JAVA_OPTS to its defaults
        String workerOpts = System.getenv("KATAMARI_BENCH_WORKER_JAVA_OPTS");
        pb.environment().remove("KATAMARI_JAVA_OPTS");
        if (workerOpts != null) {
            pb.environment().put("KATAMARI_JAVA_OPTS", workerOpts);
        }
        Process p = pb.start();
        Thread drain = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    if (line.contains("ERROR") || line.contains("Exception")) {
                        System.out.println("  [worker] " + line);
                    }
                }
            } catch (Exception ignored) {
                // the worker is gone
            }
        }, "bench-worker-output");
        drain.setDaemon(true);
        drain.start();
        return p;
    }

    /** {VmRSS, VmHWM} of a process, in KiB, from /proc. */
    private static long[] rssKb(long pid) throws Exception {
        long rss = 0;
        long hwm = 0;
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                rss = Long.parseLong(line.replaceAll("\\D", ""));
            } else if (line.startsWith("VmHWM:")) {
                hwm = Long.parseLong(line.replaceAll("\\D", ""));
            }
        }
        return new long[] {rss, hwm};
    }
}
