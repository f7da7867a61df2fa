package katamari.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * How long the masters take to hand over: kill -9 of the leading dispatcher (the first on the master list) until a
 * standby says it leads under a higher fence, then the killed one is started again and leads again before the next
 * run. Prints every run and the median. That the handover is correct (a standby leads, a higher fence, no failed
 * request) is {@code FailoverTest}'s; the time is measured only here.
 */
final class FailoverBench {
    private static final Duration POLL = Duration.ofMillis(25);
    private static final Duration HANDOVER_LIMIT = Duration.ofSeconds(60);
    private static final Duration LEADS_AGAIN_LIMIT = Duration.ofSeconds(120);

    private record Leader(int index, long fence) {}

    private final MasterSet masters;
    private final int runs;

    FailoverBench(MasterSet masters, int runs) {
        this.masters = masters;
        this.runs = runs;
    }

    int run() throws InterruptedException {
        List<Double> handovers = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
            Leader old = awaitLeader(l -> l.index() == 0, LEADS_AGAIN_LIMIT, "dispatcher 1 leads");
            long t0 = System.nanoTime();
            masters.kill9(0);
            Leader next = awaitLeader(l -> l.index() > 0 && l.fence() > old.fence(), HANDOVER_LIMIT, "a standby leads");
            double ms = (System.nanoTime() - t0) / 1e6;
            handovers.add(ms);
            System.out.printf("  failover run %d: dispatcher %d leads (fence %d > %d) %.0f ms after kill -9 of the leader%n",
                    i + 1, next.index() + 1, next.fence(), old.fence(), ms);
            masters.start(0);
        }
        System.out.printf("kill -9 of the leader -> a standby leads: median %.0f ms of %d %s%n",
                Bench.median(handovers.stream().mapToDouble(Double::doubleValue).toArray()), runs,
                handovers.stream().map(ms -> String.format("%.0f", ms)).toList());
        return 0;
    }

    private Leader awaitLeader(Predicate<Leader> wanted, Duration limit, String what) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < deadline) {
            Leader l = leader();
            if (l != null && wanted.test(l)) {
                return l;
            }
            Thread.sleep(POLL.toMillis());
        }
        throw new IllegalStateException("not within " + limit.toSeconds() + " s: " + what);
    }

    /** The dispatcher that says it leads, or null while none does. */
    private Leader leader() {
        for (int i = 0; i < masters.size(); i++) {
            JsonNode c = masters.view(i);
            if (c != null && c.path("self").path("leader").asBoolean()) {
                return new Leader(i, c.path("self").path("fence").asLong());
            }
        }
        return null;
    }
}
