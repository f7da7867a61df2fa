package katamari.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Entry points of {@code bin/katamari bench}. Every mode runs {@code runs} times and prints each run and the medians. */
public final class Bench {
    private Bench() {}

    static final String ECHO_BODY = "{\"text\":\"" + "x".repeat(80) + "\"}";

    public interface Run {
        Latencies once() throws Exception;
    }

    public static void sequential(String label, int runs, Run run) throws Exception {
        List<double[]> rows = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
            Latencies l = run.once();
            double[] r = {l.percentileMs(50), l.percentileMs(90), l.percentileMs(99)};
            rows.add(r);
            System.out.printf("  %-28s run %d: n=%d p50=%.3f p90=%.3f p99=%.3f ms%n", label, i + 1, l.count(), r[0], r[1], r[2]);
        }
        System.out.printf("%-30s MEDIAN of %d: p50=%.3f p90=%.3f p99=%.3f ms%n", label, runs, median(rows, 0), median(rows, 1), median(rows, 2));
    }

    static double median(List<double[]> rows, int col) {
        double[] v = rows.stream().mapToDouble(r -> r[col]).toArray();
        Arrays.sort(v);
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    public static int run(String modes, String gateway, String kafka, int warmup, int requests, int runs, int shareConsumers,
                          String ackMode, int replyFetchWaitMs, int middleFetchWaitMs, List<String> chassis,
                          int concurrency, int seconds, String pool) throws Exception {
        for (String mode : modes.split(",")) {
            switch (mode.trim()) {
                case "http" -> sequential("http " + pool, runs,
                        () -> new HttpSequential().run(gateway + "/pools/" + pool + "/echo", ECHO_BODY, warmup, requests));
                case "raw" -> sequential("http-raw-socket " + pool, runs,
                        () -> new RawHttpSequential().run(gateway + "/pools/" + pool + "/echo", ECHO_BODY, warmup, requests));
                case "direct" -> sequential("katamari-direct-kafka", runs,
                        () -> new DirectKafka(kafka, "katamari.requests." + pool + ".v1").run(warmup, requests));
                case "kafka-classic" -> sequential("floor kafka classic", runs,
                        () -> new KafkaFloor(kafka, KafkaFloor.Middle.CLASSIC, 1, ackMode, replyFetchWaitMs, middleFetchWaitMs).run(warmup, requests));
                case "kafka-share" -> sequential("floor kafka share x" + shareConsumers + " " + ackMode, runs,
                        () -> new KafkaFloor(kafka, KafkaFloor.Middle.SHARE, shareConsumers, ackMode, replyFetchWaitMs, middleFetchWaitMs).run(warmup, requests));
                case "pipe" -> sequential("floor pipe", runs, () -> new PipeFloor(chassis).run(warmup, requests));
                case "http-c" -> {
                    List<double[]> rows = new ArrayList<>();
                    for (int i = 0; i < runs; i++) {
                        HttpConcurrent.Result r = new HttpConcurrent().run(gateway + "/pools/" + pool + "/echo", ECHO_BODY, concurrency,
                                Duration.ofSeconds(Integer.getInteger("bench.cwarmup", 2)), Duration.ofSeconds(seconds));
                        rows.add(new double[] {r.rps(), r.latencies().percentileMs(50), r.latencies().percentileMs(99)});
                        System.out.printf("  http c=%d run %d: %.0f req/s p50=%.3f p99=%.3f ms errors=%d%n", concurrency, i + 1,
                                r.rps(), r.latencies().percentileMs(50), r.latencies().percentileMs(99), r.errors());
                    }
                    System.out.printf("%-30s MEDIAN of %d: %.0f req/s p50=%.3f p99=%.3f ms%n", "http c=" + concurrency, runs,
                            median(rows, 0), median(rows, 1), median(rows, 2));
                }
                case "recovery" -> new RecoveryBench(java.nio.file.Path.of(System.getenv().getOrDefault("KATAMARI_HOME", "")).toAbsolutePath(), Math.max(runs, 3)).run();
                default -> throw new IllegalArgumentException("unknown mode " + mode);
            }
        }
        return 0;
    }
}
