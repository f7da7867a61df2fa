package katamari.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import katamari.bench.Bench;
import katamari.bench.MasterSet;
import katamari.bench.WorkerCluster;
import katamari.dispatcher.rollout.AdminClient;
import katamari.localcluster.ClusterLayout;
import katamari.localcluster.LocalCluster;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measure a running Katamari and its floors (docs/benchmarks.md). Sequential modes: http (via the gateway, "
                + "java.net.http), raw (via the gateway, a minimal socket client), direct (produce to the request topic, no HTTP), "
                + "kafka-classic / kafka-share (raw two-hop Kafka floors), pipe (one echo chassis over its pipe). Concurrent modes "
                + "(--concurrency for --seconds): http-c, raw-c (a lean socket client), direct-c, kafka-c-classic, kafka-c-share. With wrk "
                + "(Debian's HTTP load generator, installed with apt-get when missing) and the gateway's server CPU per request from /proc: "
                + "wrk (-t2 -c<concurrency>), wrk-seq (one connection; both for --warmup-seconds, then --seconds), wrk-cache (the response "
                + "cache's hit path next to its miss path, wrk -t2 -c<concurrency>, on a copy of --pool that caches the method, made through --admin). "
                + "On their own embedded broker: "
                + "scaling (sleep10 with --instances, worker RSS), recovery (supervision recovery times). On a local cluster of its own: "
                + "failover (kill -9 of the leading dispatcher until a standby leads), scale-out (a 100-ms pool on --agents worker agents "
                + "of --per-agent instances, agents added under a backlog).")
final class BenchCommand implements Callable<Integer> {
    @Option(names = "--gateway", defaultValue = "http://127.0.0.1:8080", description = "gateway URL (default: ${DEFAULT-VALUE})")
    String gateway;

    @Option(names = "--kafka", defaultValue = "127.0.0.1:9092", description = "bootstrap for direct/floor modes (default: ${DEFAULT-VALUE})")
    String kafka;

    @Option(names = "--mode", defaultValue = "http", description = "comma-separated modes (default: ${DEFAULT-VALUE})")
    String mode;

    @Option(names = "--requests", defaultValue = "2000", description = "measured requests (default: ${DEFAULT-VALUE})")
    int requests;

    @Option(names = "--warmup", defaultValue = "2000", description = "unmeasured requests first (default: ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--runs", defaultValue = "1", description = "repetitions; medians printed (default: ${DEFAULT-VALUE})")
    int runs;

    @Option(names = "--share-consumers", defaultValue = "4", description = "share consumers in the middle hop (default: ${DEFAULT-VALUE})")
    int shareConsumers;

    @Option(names = "--ack", defaultValue = "async", description = "middle hop commit: async|sync|next-poll|none (default: ${DEFAULT-VALUE})")
    String ack;

    @Option(names = "--reply-fetch-wait", defaultValue = "500", description = "client reply consumer fetch.max.wait.ms")
    int replyFetchWait;

    @Option(names = "--middle-fetch-wait", defaultValue = "500", description = "middle consumer fetch.max.wait.ms")
    int middleFetchWait;

    @Option(names = "--chassis", split = " ", defaultValue = "java -XX:+UseSerialGC -Xss512k -Xmx64m -jar examples/echo/target/katamari-echo.jar",
            description = "chassis argv for the pipe floor (default: the dev echo pool's command)")
    List<String> chassis;

    @Option(names = "--middle-batch", defaultValue = "1", description = "floors: records per poll in the middle hop (default: ${DEFAULT-VALUE})")
    int middleBatch;

    @Option(names = "--workload", defaultValue = "echo", description = "echo (~100 bytes of JSON) or sleep10 (default: ${DEFAULT-VALUE})")
    String workload;

    @Option(names = "--concurrency", defaultValue = "32", description = "concurrent modes: requests outstanding (default: ${DEFAULT-VALUE})")
    int concurrency;

    @Option(names = "--seconds", defaultValue = "10", description = "concurrent modes: measured seconds (default: ${DEFAULT-VALUE})")
    int seconds;

    @Option(names = "--warmup-seconds", defaultValue = "10",
            description = "concurrent and scaling modes: unmeasured seconds of load first; a fresh JVM (worker, gateway or this "
                    + "client) is still compiling for a minute under load (default: ${DEFAULT-VALUE})")
    int warmupSeconds;

    @Option(names = "--pool", defaultValue = "echo", description = "pool to call, version v1 (default: ${DEFAULT-VALUE})")
    String pool;

    @Option(names = "--instances", split = ",", defaultValue = "1,4,16", description = "scaling: instance counts (default: ${DEFAULT-VALUE})")
    List<Integer> instances;

    @Option(names = "--pipeline", split = ",",
            description = "scaling: run the pool with pipeline on, off, or both side by side (default: on,off); scale-out: on or off (default: off)")
    List<String> pipeline;

    @Option(names = "--backlog", defaultValue = "4",
            description = "scaling: requests outstanding per instance; measures capacity when above 1 (default: ${DEFAULT-VALUE})")
    int backlog;

    @Option(names = "--base-port", defaultValue = "19300",
            description = "failover, scale-out: first of the 60 ports its own local cluster uses (default: ${DEFAULT-VALUE})")
    int basePort;

    @Option(names = "--server-pid", defaultValue = "0",
            description = "wrk modes: the server process whose CPU (with its descendants) is counted; 0 = the one listening on the gateway's port")
    long serverPid;

    @Option(names = "--admin", defaultValue = "http://127.0.0.1:8090",
            description = "wrk-cache: the admin API it creates its cached pool through, with KATAMARI_CLUSTER_ADMIN_KEY if set (default: ${DEFAULT-VALUE})")
    String admin;

    @Option(names = "--agents", split = ",", defaultValue = "1,2,3",
            description = "scale-out: worker agent counts to measure, increasing; agents are added one at a time under a backlog (default: ${DEFAULT-VALUE})")
    List<Integer> agents;

    @Option(names = "--per-agent", defaultValue = "16", description = "scale-out: instances per agent, the agents' capacity (default: ${DEFAULT-VALUE})")
    int perAgent;

    @Option(names = "--prefetch", defaultValue = "1", description = "scale-out: the pool's prefetch, records per instance per fetch (default: ${DEFAULT-VALUE})")
    int prefetch;

    @Override
    public Integer call() throws Exception {
        Path home = Path.of(System.getenv().getOrDefault("KATAMARI_HOME", "")).toAbsolutePath();
        return Bench.run(new Bench.Options(mode, gateway, kafka, Bench.Workload.parse(workload),
                warmup, requests, runs, shareConsumers, ack, replyFetchWait, middleFetchWait, middleBatch, chassis, concurrency, seconds,
                warmupSeconds, pool, instances, pipeline == null ? null : Bench.onOff(pipeline), backlog, agents, perAgent, prefetch, home, serverPid, admin), new Bench.Clusters() {
                    @Override
                    public MasterSet masters() {
                        return BenchCommand.this.masters(home);
                    }

                    @Override
                    public WorkerCluster workers(Path config, int workers) {
                        return BenchCommand.this.workers(home, config, workers);
                    }
                });
    }

    /**
     * The scale-out mode's cluster: {@code bin/katamari cluster}'s shape (3 brokers, 3 dispatchers) on the bench's
     * config, {@code workers} agents to begin with and no gateways (the bench produces straight to Kafka). Its folder
     * starts empty every time: the brokers keep the metadata journal, which would bring back an earlier run's pool.
     */
    private WorkerCluster workers(Path home, Path config, int workers) {
        Path dir = home.resolve(".katamari/bench-scale-out");
        deleteTree(dir);
        // every role's JVM options, as bin/katamari cluster takes them (to look inside a run: log levels, JFR)
        String javaOpts = System.getenv("KATAMARI_JAVA_OPTS");
        ClusterLayout layout = ClusterLayout.standard(basePort, dir, home).withCounts(3, 3, workers, 0).withConfig(config)
                .withJavaOptions(javaOpts == null || javaOpts.isBlank() ? List.of() : Arrays.asList(javaOpts.trim().split("\\s+")));
        LocalCluster local = new LocalCluster(layout).start(line -> System.out.println("  " + line));
        return new WorkerCluster() {
            @Override
            public String bootstrap() {
                return local.bootstrap();
            }

            @Override
            public String addWorker() {
                return local.addWorker();
            }

            @Override
            public void close() {
                local.close();
            }
        };
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot empty " + dir + " for a fresh cluster", e);
        }
    }

    /**
     * The failover mode's dispatchers: a local cluster of its own with one broker, the three dispatchers of
     * {@code etc/katamari-cluster.yaml} (CP member count 3) and no workers or gateways, which a handover does not need.
     */
    private MasterSet masters(Path home) {
        ClusterLayout layout = ClusterLayout.standard(basePort, home.resolve(".katamari/bench-failover"), home).withCounts(1, 3, 0, 0);
        LocalCluster local = new LocalCluster(layout).start(line -> System.out.println("  " + line));
        return new MasterSet() {
            @Override
            public int size() {
                return layout.dispatchers();
            }

            @Override
            public JsonNode view(int dispatcher) {
                return new AdminClient(local.adminUrls().get(dispatcher), local.adminKey()).clusterView();
            }

            @Override
            public void kill9(int dispatcher) {
                local.kill9(name(dispatcher));
            }

            @Override
            public void start(int dispatcher) {
                local.restart(name(dispatcher));
            }

            @Override
            public void close() {
                local.close();
            }

            private String name(int dispatcher) {
                return "dispatcher-" + (dispatcher + 1);
            }
        };
    }
}
