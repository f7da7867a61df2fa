package katamari.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measure a running Katamari: sequential echo latency through the gateway (p50/p90/p99).")
final class BenchCommand implements Callable<Integer> {
    @Option(names = "--gateway", defaultValue = "http://127.0.0.1:8080", description = "gateway URL (default: ${DEFAULT-VALUE})")
    String gateway;

    @Option(names = "--requests", defaultValue = "2000", description = "measured requests (default: ${DEFAULT-VALUE})")
    int requests;

    @Option(names = "--warmup", defaultValue = "200", description = "unmeasured requests first (default: ${DEFAULT-VALUE})")
    int warmup;

    @Override
    public Integer call() throws Exception {
        return katamari.bench.Bench.sequentialEcho(gateway, warmup, requests);
    }
}
