package katamari.cli;

import com.hazelcast.core.HazelcastInstance;
import java.util.concurrent.Callable;
import katamari.cluster.HazelcastSetup;
import katamari.config.KatamariConfig;
import katamari.worker.WorkerAgent;
import katamari.worker.membership.WorkerMembership;
import katamari.worker.metrics.WorkerMetrics;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "worker", mixinStandardHelpOptions = true,
        description = "Run a worker agent: joins the cluster as a Hazelcast client and runs what the master places on it.")
final class WorkerCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions options;

    @Mixin
    ClusterOptions cluster;

    @Option(names = "--standalone", description = "run the config file's pools without a cluster (no Hazelcast, no master)")
    boolean standalone;

    @Option(names = "--metrics-port", description = "serve GET /metrics and /readyz at this port (0: any free port)")
    Integer metricsPort;

    @Option(names = "--metrics-host", defaultValue = "127.0.0.1",
            description = "the interface the metrics port binds (default ${DEFAULT-VALUE}; 0.0.0.0 in a container, so Prometheus can scrape it)")
    String metricsHost;

    @Option(names = "--worker-id", description = "this agent's id, kept across restarts so a restarted worker is the same worker"
            + " (overriding worker.id; default: a random one per start)")
    String workerId;

    @Override
    public Integer call() throws Exception {
        KatamariConfig c = cluster.apply(options.load());
        if (workerId != null) {
            c = c.withWorker(c.worker().withId(workerId));
        }
        Roles roles = new Roles();
        WorkerAgent worker = roles.add(new WorkerAgent(c));
        if (metricsPort != null) {
            WorkerMetrics metrics = roles.add(new WorkerMetrics(worker));
            System.out.println("worker metrics on http://" + metricsHost + ":" + metrics.serve(metricsHost, metricsPort) + "/metrics");
        }
        if (standalone) {
            worker.start();
            System.out.println("worker " + worker.id() + " running the config file's " + c.pools().size() + " pool-version(s), no cluster");
            roles.awaitShutdown();
            return 0;
        }
        worker.startEmpty();
        HazelcastInstance client = HazelcastSetup.startClient(c.cluster(), "katamari-worker-" + worker.id());
        roles.add(client::shutdown);
        roles.add(new WorkerMembership(worker, client, c.cluster())).start();
        System.out.println("worker " + worker.id() + " joined " + c.cluster().members() + " (capacity " + c.cluster().workerCapacity() + ")");
        roles.awaitShutdown();
        return 0;
    }
}
