package katamari.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicReference;
import katamari.client.KatamariClient;
import katamari.config.ConfigLoader;
import katamari.config.KafkaSettings;
import katamari.topics.TopicNames;

/**
 * How far adding worker agents takes a replicated cluster: a pool whose handler sleeps 100 ms (the Python
 * {@code wordcount.py}'s {@code sleep}: 48 CPython processes fit on 2 cores, 48 JVMs would not), on 1, 2, 3 ... agents
 * of {@code perAgent} instances each, requests/s as a share of the ideal (instances × 10/s); and, each time an agent is
 * added under a backlog, how soon it takes its share of the requests.
 *
 * <p>The cluster is {@code etc/katamari-cluster.yaml}'s (3 brokers, RF 3 / min ISR 2, 3 dispatchers) with its sample
 * pools replaced by one pool that wants {@code perAgent × max(agents)} instances, and {@code workerCapacity} set to
 * {@code perAgent}: the masters place what fits, so the pool runs {@code perAgent} instances per agent and every agent
 * added gets {@code perAgent} of the instances that did not fit before. Nobody edits the pool while it runs: scale-out
 * here is only starting an agent. The load goes straight to the request topic (a closed loop, {@code backlog ×}
 * instances outstanding, {@link ClosedLoop}): each reply names its instance, so the bench sees which agent answered
 * (gateways would hide that, and their cost is measured by {@code http-c}).
 */
final class ScaleOutBench {
    static final int HANDLER_MS = 100;
    static final String POOL = "sleep";
    static final String VERSION = "v1";
    /** Before an agent is added: the backlog builds on the agents there are. */
    private static final Duration SETTLE = Duration.ofSeconds(5);
    /** An added agent that has not taken its share this long after it joined is reported as missing the target. */
    private static final Duration JOIN_LIMIT = Duration.ofSeconds(30);
    /** Its share is judged over the replies of the last half second (at 3 agents about 80 of its own among 240). */
    private static final Duration SHARE_WINDOW = Duration.ofMillis(500);
    /** "Takes its share": at least this fraction of its fair share (its instances / all instances) of the replies. */
    private static final double SHARE_FRACTION = 0.9;

    /**
     * What the mode was told, validated before any process starts.
     *
     * @param agents   the agent counts to measure, increasing (agents are only ever added)
     * @param perAgent instances per agent (the agents' capacity)
     * @param prefetch the pool's {@code prefetch}
     * @param pipeline the pool's {@code pipeline}
     * @param backlog  requests outstanding per instance: above 1, so that work waits for an added agent
     */
    record Settings(List<Integer> agents, int perAgent, int prefetch, boolean pipeline, int backlog, int runs, Duration warmup, Duration measure) {
        Settings {
            if (agents == null || agents.isEmpty()) {
                throw new IllegalArgumentException("--agents needs at least one agent count, e.g. 1,2,3");
            }
            agents = List.copyOf(agents);
            for (int i = 0; i < agents.size(); i++) {
                int a = agents.get(i);
                if (a < 1 || a > 10) {
                    throw new IllegalArgumentException("--agents: each count must be 1-10 (a local cluster's worker ports), was " + a);
                }
                if (i > 0 && a <= agents.get(i - 1)) {
                    throw new IllegalArgumentException("--agents must increase (agents are added, never removed), was " + agents);
                }
            }
            if (perAgent < 1 || perAgent > 64) {
                throw new IllegalArgumentException("--per-agent must be 1-64 instances, was " + perAgent);
            }
            if (prefetch < 1 || prefetch > 64) {
                throw new IllegalArgumentException("--prefetch must be 1-64 (a pool's limit), was " + prefetch);
            }
            if (backlog < 2) {
                throw new IllegalArgumentException("--backlog must be at least 2 for scale-out (requests waiting for an added agent), was " + backlog);
            }
            if (runs < 1 || measure.isZero() || measure.isNegative() || warmup.isNegative()) {
                throw new IllegalArgumentException("--runs and --seconds must be at least 1 and --warmup-seconds at least 0");
            }
        }

        int instancesWanted() {
            return perAgent * agents.get(agents.size() - 1);
        }

        double idealRps(int agentCount) {
            return agentCount * perAgent * 1000.0 / HANDLER_MS;
        }
    }

    /** One reply: the instance that answered, its worker, and when the reply arrived. */
    private record Answer(String instance, String worker, long nanos) {}

    /** An agent added under a backlog, in seconds from its join (its ready line); NaN where it never happened. */
    private record Join(String worker, int from, double startS, double firstS, double allS, double shareS) {}

    private final Path home;
    private final Settings settings;
    private final WorkerCluster.Factory factory;

    ScaleOutBench(Path home, Settings settings, WorkerCluster.Factory factory) {
        this.home = home;
        this.settings = settings;
        this.factory = factory;
    }

    void run() throws Exception {
        Path config = Files.createTempFile("katamari-bench-scale-out", ".yaml");
        Map<Integer, List<double[]>> steps = new TreeMap<>();
        List<Join> joins = new ArrayList<>();
        try {
            Files.writeString(config, clusterConfig());
            int running = settings.agents().get(0);
            System.out.printf("scale-out: pool %s/%s (python3 wordcount.py sleep %d ms, prefetch %d, pipeline %s), %d instances per agent, agents %s,"
                            + " %d requests outstanding per instance%n", POOL, VERSION, HANDLER_MS, settings.prefetch(), settings.pipeline() ? "on" : "off",
                    settings.perAgent(), settings.agents(), settings.backlog());
            try (WorkerCluster cluster = factory.start(config, running)) {
                KafkaSettings kafka = new ConfigLoader(Map.of("KATAMARI_HOME", home.toString())).read(config).kafka().withBootstrap(cluster.bootstrap());
                String replies = "katamari.replies.bench-" + UUID.randomUUID().toString().substring(0, 6);
                KatamariClient.createTopic(kafka, replies);
                DirectKafka direct = new DirectKafka(cluster.bootstrap(), TopicNames.requests(POOL, VERSION));
                awaitAllAnswering(direct, replies, running);
                for (int agents : settings.agents()) {
                    while (running < agents) {
                        joins.add(addUnderBacklog(cluster, direct, replies, running));
                        running++;
                    }
                    for (int run = 1; run <= settings.runs(); run++) {
                        steps.computeIfAbsent(agents, k -> new ArrayList<>()).add(measure(direct, replies, agents, run));
                    }
                }
            }
        } finally {
            Files.deleteIfExists(config);
        }
        summary(steps, joins);
    }

    /** {@code etc/katamari-cluster.yaml} with one pool and the agents' capacity: the cluster's settings stay the file's. */
    String clusterConfig() throws Exception {
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
        ObjectNode root = (ObjectNode) yaml.readTree(home.resolve("etc/katamari-cluster.yaml").toFile());
        ((ObjectNode) root.path("cluster")).put("workerCapacity", settings.perAgent());
        ArrayNode pools = root.putArray("pools");
        ObjectNode pool = pools.addObject();
        pool.put("name", POOL).put("version", VERSION);
        pool.putArray("command").add("python3").add("${KATAMARI_HOME}/examples/wordcount/wordcount.py");
        pool.put("instances", settings.instancesWanted()).put("timeout", "30s").put("attempts", 2)
                .put("prefetch", settings.prefetch()).put("pipeline", settings.pipeline());
        return yaml.writeValueAsString(root);
    }

    /** Until every instance of {@code agents} agents has answered (a fresh cluster's instances start under load). */
    private void awaitAllAnswering(DirectKafka direct, String replies, int agents) {
        int instances = agents * settings.perAgent();
        ClosedLoop loop = direct.loop(Bench.Workload.SLEEP100, replies);
        long until = System.nanoTime() + Duration.ofSeconds(180).toNanos();
        while (loop.instancesSeen().size() < instances) {
            if (System.nanoTime() > until) {
                throw new IllegalStateException("only " + loop.instancesSeen().size() + " of " + instances + " instances answered within 180 s");
            }
            loop.run(settings.backlog() * instances, Duration.ZERO, Duration.ofSeconds(1));
        }
    }

    /** @return {req/s, % of ideal, p50 ms, p99 ms} */
    private double[] measure(DirectKafka direct, String replies, int agents, int run) {
        int instances = agents * settings.perAgent();
        Map<String, long[]> byWorker = new TreeMap<>();
        long from = System.nanoTime() + settings.warmup().toNanos();
        long to = from + settings.measure().toNanos();
        ClosedLoop loop = direct.loop(Bench.Workload.SLEEP100, replies).onReply((instance, nanos) -> {
            if (nanos >= from && nanos <= to) {
                byWorker.computeIfAbsent(workerOf(instance), k -> new long[1])[0]++;
            }
        });
        ClosedLoop.Result r = loop.run(settings.backlog() * instances, settings.warmup(), settings.measure());
        double share = 100 * r.rps() / settings.idealRps(agents);
        StringBuilder split = new StringBuilder();
        byWorker.forEach((w, n) -> split.append(split.length() == 0 ? "" : ", ").append(w).append(' ')
                .append(String.format("%.0f/s", n[0] / (settings.measure().toNanos() / 1e9))));
        System.out.printf("  %d agents x %d run %d: %.0f req/s = %.1f %% of ideal %.0f/s, p50=%.0f p99=%.0f ms, errors=%d (%s)%n", agents,
                settings.perAgent(), run, r.rps(), share, settings.idealRps(agents), r.latencies().percentileMs(50),
                r.latencies().percentileMs(99), r.errors(), split);
        return new double[] {r.rps(), share, r.latencies().percentileMs(50), r.latencies().percentileMs(99)};
    }

    /**
     * Runs the loop at the next step's backlog for {@link #SETTLE} on {@code from} agents, adds one, and follows
     * its replies until it takes its share.
     */
    private Join addUnderBacklog(WorkerCluster cluster, DirectKafka direct, String replies, int from) throws Exception {
        int to = from + 1;
        ConcurrentLinkedQueue<Answer> answers = new ConcurrentLinkedQueue<>();
        ClosedLoop loop = direct.loop(Bench.Workload.SLEEP100, replies).onReply((instance, nanos) -> answers.add(new Answer(instance, workerOf(instance), nanos)));
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Thread load = new Thread(() -> {
            try {
                loop.run(settings.backlog() * settings.perAgent() * to, Duration.ZERO, Duration.ofMinutes(10));
            } catch (Throwable t) {
                failed.set(t);
            }
        }, "bench-scale-out-load");
        load.setDaemon(true);
        load.start();
        try {
            Thread.sleep(SETTLE.toMillis());
            long asked = System.nanoTime();
            String worker = cluster.addWorker();
            long joined = System.nanoTime();
            List<Answer> seen = new ArrayList<>();
            Join j = null;
            while (j == null || Double.isNaN(j.allS()) || Double.isNaN(j.shareS())) {
                if (System.nanoTime() - joined > JOIN_LIMIT.toNanos() || failed.get() != null) {
                    break;
                }
                Thread.sleep(100); // the loop's thread records the replies; this one only reads them now and then
                for (Answer a; (a = answers.poll()) != null; ) {
                    seen.add(a);
                }
                j = judge(worker, from, seen, asked, joined);
            }
            loop.stop();
            load.join(Duration.ofSeconds(60).toMillis());
            if (failed.get() != null) {
                throw new IllegalStateException("the load stopped while " + worker + " was added: " + failed.get().getMessage(), failed.get());
            }
            j = judge(worker, from, seen, asked, joined);
            System.out.printf("  %s added under a backlog (%d -> %d agents): joined %.1f s after its start; from its join: first reply %.2f s, "
                            + "all %d instances answered %.2f s, its share (>= %.0f %% of 1/%d of the replies over %d ms) %.2f s%s%n",
                    worker, from, to, j.startS(), j.firstS(), settings.perAgent(), j.allS(), SHARE_FRACTION * 100, to, SHARE_WINDOW.toMillis(),
                    j.shareS(), Double.isNaN(j.shareS()) ? " (not within " + JOIN_LIMIT.toSeconds() + " s)" : "");
            return j;
        } finally {
            loop.stop();
        }
    }

    /** The added agent's times so far, from the replies in arrival order (one thread receives them all). */
    private Join judge(String worker, int from, List<Answer> answers, long asked, long joined) {
        double first = Double.NaN;
        double all = Double.NaN;
        double share = Double.NaN;
        double fair = SHARE_FRACTION / (from + 1);
        Set<String> instances = new HashSet<>();
        int tail = 0;
        int mine = 0;
        for (int i = 0; i < answers.size() && (Double.isNaN(share) || Double.isNaN(all)); i++) {
            Answer a = answers.get(i);
            boolean its = a.worker().equals(worker);
            mine += its ? 1 : 0;
            while (answers.get(tail).nanos() < a.nanos() - SHARE_WINDOW.toNanos()) {
                mine -= answers.get(tail).worker().equals(worker) ? 1 : 0;
                tail++;
            }
            if (!its) {
                continue;
            }
            double at = Math.max(0, (a.nanos() - joined) / 1e9);
            if (Double.isNaN(first)) {
                first = at;
            }
            if (instances.add(a.instance()) && instances.size() == settings.perAgent()) {
                all = at;
            }
            int window = i - tail + 1;
            // judged only on a full window after the agent's first reply, and on enough replies to mean something
            if (Double.isNaN(share) && a.nanos() - answers.get(tail).nanos() >= SHARE_WINDOW.toNanos() * 9 / 10 && window >= 20
                    && mine >= fair * window) {
                share = at;
            }
        }
        return new Join(worker, from, (joined - asked) / 1e9, first, all, share);
    }

    /** {@code worker-3} from {@code worker-3-sleep-v1-7} (the agent names its instances after itself). */
    static String workerOf(String instance) {
        int at = instance.indexOf("-" + POOL + "-" + VERSION + "-");
        return at < 0 ? instance : instance.substring(0, at);
    }

    private void summary(Map<Integer, List<double[]>> steps, List<Join> joins) {
        steps.forEach((agents, rows) -> System.out.printf("scale-out %d agents x %d instances   MEDIAN of %d: %.0f req/s = %.1f %% of ideal %.0f/s, p50=%.0f p99=%.0f ms%n",
                agents, settings.perAgent(), rows.size(), Bench.median(rows, 0), Bench.median(rows, 1), settings.idealRps(agents),
                Bench.median(rows, 2), Bench.median(rows, 3)));
        for (Join j : joins) {
            System.out.printf("scale-out %s added (%d -> %d agents): its share %.2f s after its join (first reply %.2f s, all instances %.2f s)%n",
                    j.worker(), j.from(), j.from() + 1, j.shareS(), j.firstS(), j.allS());
        }
    }
}
