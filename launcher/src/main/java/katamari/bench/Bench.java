package katamari.bench;

/** Entry points of {@code bin/katamari bench}. */
public final class Bench {
    private Bench() {}

    public static int sequentialEcho(String gateway, int warmup, int requests) throws Exception {
        Latencies l = new HttpSequential().run(gateway + "/pools/echo/echo", "{\"text\":\"" + "x".repeat(80) + "\"}", warmup, requests);
        System.out.printf("echo sequential over HTTP: n=%d p50=%.2f ms p90=%.2f ms p99=%.2f ms%n",
                l.count(), l.percentileMs(50), l.percentileMs(90), l.percentileMs(99));
        return 0;
    }
}
