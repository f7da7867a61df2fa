package katamari.bench;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Entry points of {@code bin/katamari bench}. Every mode runs {@code runs} times and prints each run and the medians. */
public final class Bench {
    private Bench() {}

    static final List<String> MODES = List.of("http", "raw", "direct", "kafka-classic", "kafka-share", "pipe", "http-c", "raw-c", "direct-c", "wrk", "wrk-seq", "wrk-cache",
            "kafka-c-classic", "kafka-c-share", "scaling", "recovery", "failover", "scale-out");

    /** What a request asks the echo chassis to do: {@code echo} (~100 bytes of JSON) or {@code sleep10} (sleep 10 ms). */
    public enum Workload {
        ECHO("echo", "{\"text\":\"" + "x".repeat(80) + "\"}"),
        SLEEP10("sleep", "{\"ms\":10}"),
        /** What {@code --mode scale-out} asks of its Python pool ({@code examples/wordcount/wordcount.py} has it too). */
        SLEEP100("sleep", "{\"ms\":100}");

        final String method;
        final String args;

        Workload(String method, String args) {
            this.method = method;
            this.args = args;
        }

        /** The HTTP body for {@code POST /pools/<pool>/<method>}. */
        String body() {
            return args;
        }

        /** The request record's value for a client producing straight to Kafka. */
        byte[] record() {
            return ("{\"method\":\"" + method + "\",\"args\":" + args + "}").getBytes(StandardCharsets.UTF_8);
        }

        public static Workload parse(String name) {
            return switch (name) {
                case "echo" -> ECHO;
                case "sleep10" -> SLEEP10;
                case "sleep100" -> SLEEP100;
                default -> throw new IllegalArgumentException("unknown workload '" + name + "'; known: echo, sleep10, sleep100");
            };
        }
    }

    /** Everything {@code bin/katamari bench} was told; {@code pipeline} null: each mode's default. */
    public record Options(String modes, String gateway, String kafka, Workload workload, int warmup, int requests, int runs,
                          int shareConsumers, String ackMode, int replyFetchWaitMs, int middleFetchWaitMs, int middleBatch,
                          List<String> chassis, int concurrency, int seconds, int warmupSeconds, String pool, List<Integer> instances,
                          List<Boolean> pipeline, int backlog, List<Integer> agents, int perAgent, int prefetch, Path home,
                          long serverPid, String admin) {}

    /**
     * The processes some modes need, which only the launcher can start: dispatchers to kill ({@code failover}), a
     * cluster to grow ({@code scale-out}).
     */
    public interface Clusters {
        MasterSet masters();

        /** @see WorkerCluster.Factory#start */
        WorkerCluster workers(Path config, int workers);
    }

    /** {@code on}/{@code off} words as booleans, in order. */
    public static List<Boolean> onOff(List<String> words) {
        List<Boolean> out = new ArrayList<>();
        for (String w : words) {
            switch (w.trim()) {
                case "on" -> out.add(true);
                case "off" -> out.add(false);
                default -> throw new IllegalArgumentException("--pipeline takes on, off or on,off; not '" + w + "'");
            }
        }
        return out;
    }

    public interface Run {
        Latencies once() throws Exception;
    }

    public interface ConcurrentRun {
        ClosedLoop.Result once() throws Exception;
    }

    public static void sequential(String label, int runs, Run run) throws Exception {
        List<double[]> rows = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
            Latencies l = run.once();
            double[] r = {l.percentileMs(50), l.percentileMs(90), l.percentileMs(99)};
            rows.add(r);
            System.out.printf("  %-34s run %d: n=%d p50=%.3f p90=%.3f p99=%.3f ms%n", label, i + 1, l.count(), r[0], r[1], r[2]);
        }
        System.out.printf("%-36s MEDIAN of %d: p50=%.3f p90=%.3f p99=%.3f ms%n", label, runs, median(rows, 0), median(rows, 1), median(rows, 2));
    }

    static void concurrent(String label, int runs, ConcurrentRun run) throws Exception {
        List<double[]> rows = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
            ClosedLoop.Result r = run.once();
            r.print(label, i + 1);
            rows.add(new double[] {r.rps(), r.latencies().percentileMs(50), r.latencies().percentileMs(99)});
        }
        System.out.printf("%-36s MEDIAN of %d: %.0f req/s p50=%.3f p99=%.3f ms%n", label, runs, median(rows, 0), median(rows, 1), median(rows, 2));
    }

    interface WrkRun {
        WrkBench.Result once(WrkBench bench) throws Exception;
    }

    static void wrkRuns(String label, int runs, WrkBench bench, WrkRun run) throws Exception {
        List<double[]> rows = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
            WrkBench.Result r = run.once(bench);
            System.out.printf("  %-34s run %d: %s%n", label, i + 1, WrkBench.format(r));
            rows.add(new double[] {r.rps(), r.p50Ms(), r.p99Ms(), r.cpuMicrosPerRequest(), r.jitPercent()});
        }
        System.out.printf("%-36s MEDIAN of %d: %.0f req/s p50=%.3f p99=%.3f ms server CPU %.0f us/request, JIT compilers %.0f %%%n", label, runs,
                median(rows, 0), median(rows, 1), median(rows, 2), median(rows, 3), median(rows, 4));
    }

    static double median(List<double[]> rows, int col) {
        return median(rows.stream().mapToDouble(r -> r[col]).toArray());
    }

    /** The median of {@code values} (the mean of the middle two for an even count); NaN for none. */
    static double median(double[] values) {
        if (values.length == 0) {
            return Double.NaN;
        }
        double[] v = values.clone();
        Arrays.sort(v);
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    /** Every mode but {@code failover} and {@code scale-out}, which need processes started: {@link #run(Options, Clusters)}. */
    public static int run(Options o) throws Exception {
        return run(o, new Clusters() {
            @Override
            public MasterSet masters() {
                throw new IllegalArgumentException("mode failover needs a master set: run it as bin/katamari bench --mode failover");
            }

            @Override
            public WorkerCluster workers(Path config, int workers) {
                throw new IllegalArgumentException("mode scale-out needs a cluster: run it as bin/katamari bench --mode scale-out");
            }
        });
    }

    /**
     * @param clusters asked only by modes {@code failover} and {@code scale-out}; what they start is closed after the mode
     * @throws IllegalArgumentException for an unknown mode or settings a mode refuses, before anything starts
     */
    public static int run(Options o, Clusters clusters) throws Exception {
        String url = o.gateway() + "/pools/" + o.pool() + "/" + o.workload().method;
        String topic = "katamari.requests." + o.pool() + ".v1";
        String w = o.workload().name().toLowerCase();
        Duration warm = Duration.ofSeconds(o.warmupSeconds());
        Duration measure = Duration.ofSeconds(o.seconds());
        List<String> modes = Arrays.stream(o.modes().split(",")).map(String::trim).toList();
        // refused before a mode runs, not minutes into a sequence of modes
        for (String mode : modes) {
            if (!MODES.contains(mode)) {
                throw new IllegalArgumentException("unknown mode '" + mode + "'; known: " + String.join(", ", MODES));
            }
        }
        ScaleOutBench.Settings scaleOut = modes.contains("scale-out")
                ? new ScaleOutBench.Settings(o.agents(), o.perAgent(), o.prefetch(), scaleOutPipeline(o.pipeline()), o.backlog(), o.runs(), warm, measure)
                : null;
        for (String mode : modes) {
            switch (mode) {
                case "http" -> sequential("http " + o.pool() + " " + w, o.runs(),
                        () -> new HttpSequential().run(url, o.workload().body(), o.warmup(), o.requests()));
                case "raw" -> sequential("http-raw-socket " + o.pool() + " " + w, o.runs(),
                        () -> new RawHttpSequential().run(url, o.workload().body(), o.warmup(), o.requests()));
                case "direct" -> sequential("katamari-direct-kafka " + w, o.runs(),
                        () -> new DirectKafka(o.kafka(), topic).run(o.workload(), o.warmup(), o.requests()));
                case "kafka-classic" -> sequential("floor kafka classic", o.runs(), () -> floor(o, KafkaFloor.Middle.CLASSIC).run(o.warmup(), o.requests()));
                case "kafka-share" -> sequential("floor kafka share x" + o.shareConsumers() + " " + o.ackMode(), o.runs(),
                        () -> floor(o, KafkaFloor.Middle.SHARE).run(o.warmup(), o.requests()));
                case "pipe" -> sequential("floor pipe " + w, o.runs(), () -> new PipeFloor(o.chassis(), o.workload()).run(o.warmup(), o.requests()));
                case "http-c" -> concurrent("http c=" + o.concurrency() + " " + w, o.runs(), () -> {
                    HttpConcurrent.Result r = new HttpConcurrent().run(url, o.workload().body(), o.concurrency(), warm, measure);
                    return new ClosedLoop.Result(r.rps(), r.latencies(), r.errors());
                });
                case "raw-c" -> concurrent("http-raw-socket c=" + o.concurrency() + " " + w, o.runs(),
                        () -> new RawHttpConcurrent().run(url, o.workload().body(), o.concurrency(), warm, measure));
                case "direct-c" -> concurrent("katamari-direct-kafka c=" + o.concurrency() + " " + w, o.runs(),
                        () -> new DirectKafka(o.kafka(), topic).runConcurrent(o.workload(), o.concurrency(), warm, measure));
                case "kafka-c-classic" -> concurrent("floor kafka classic c=" + o.concurrency() + " batch " + o.middleBatch(), o.runs(),
                        () -> floor(o, KafkaFloor.Middle.CLASSIC).runConcurrent(o.concurrency(), warm, measure));
                case "kafka-c-share" -> concurrent("floor kafka share x" + o.shareConsumers() + " c=" + o.concurrency() + " batch " + o.middleBatch(),
                        o.runs(), () -> floor(o, KafkaFloor.Middle.SHARE).runConcurrent(o.concurrency(), warm, measure));
                case "wrk" -> wrkRuns("wrk c=" + o.concurrency() + " " + w, o.runs(), new WrkBench(url, o.workload().body(), o.serverPid()),
                        b -> b.concurrent(o.concurrency(), warm, measure));
                case "wrk-seq" -> wrkRuns("wrk sequential " + w, o.runs(), new WrkBench(url, o.workload().body(), o.serverPid()),
                        b -> b.sequential(warm, measure));
                case "wrk-cache" -> new CacheBench(o).run(warm, measure);
                case "scaling" -> new ScalingBench(o.home(), o.instances(), o.pipeline() == null ? List.of(true, false) : o.pipeline(),
                        o.backlog(), o.runs(), warm, measure).run();
                case "recovery" -> new RecoveryBench(o.home(), Math.max(o.runs(), 3)).run();
                case "failover" -> {
                    try (MasterSet m = clusters.masters()) {
                        new FailoverBench(m, Math.max(o.runs(), 3)).run();
                    }
                }
                case "scale-out" -> new ScaleOutBench(o.home(), scaleOut, clusters::workers).run();
                default -> throw new IllegalArgumentException("unknown mode '" + mode + "'");
            }
        }
        return 0;
    }

    /** Scale-out runs one pool: one value, off unless told. */
    private static boolean scaleOutPipeline(List<Boolean> pipeline) {
        if (pipeline == null || pipeline.isEmpty()) {
            return false;
        }
        if (pipeline.size() > 1) {
            throw new IllegalArgumentException("scale-out runs one pool: --pipeline on or off, not " + pipeline.size() + " values");
        }
        return pipeline.get(0);
    }

    private static KafkaFloor floor(Options o, KafkaFloor.Middle middle) {
        int consumers = middle == KafkaFloor.Middle.SHARE ? o.shareConsumers() : 1;
        return new KafkaFloor(o.kafka(), middle, consumers, o.ackMode(), o.replyFetchWaitMs(), o.middleFetchWaitMs(), o.middleBatch());
    }
}
