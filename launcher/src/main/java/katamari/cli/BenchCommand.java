package katamari.cli;

import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measure a running Katamari and its floors. Modes: http (sequential echo via gateway), direct (produce to the "
                + "request topic, no HTTP), kafka-classic / kafka-share (raw two-hop Kafka floors), pipe (one echo chassis over "
                + "its pipe), http-c (concurrent HTTP clients), recovery (supervision: crash and hang recovery times, on its own "
                + "embedded broker).")
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

    @Option(names = "--chassis", split = " ", defaultValue = "java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xss512k -Xmx64m -jar examples/echo/target/katamari-echo.jar",
            description = "chassis argv for the pipe floor")
    List<String> chassis;

    @Option(names = "--concurrency", defaultValue = "32") int concurrency;
    @Option(names = "--seconds", defaultValue = "10") int seconds;
    @Option(names = "--pool", defaultValue = "echo") String pool;

    @Override
    public Integer call() throws Exception {
        return katamari.bench.Bench.run(mode, gateway, kafka, warmup, requests, runs, shareConsumers, ack, replyFetchWait,
                middleFetchWait, chassis, concurrency, seconds, pool);
    }
}
