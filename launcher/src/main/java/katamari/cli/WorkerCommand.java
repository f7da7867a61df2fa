package katamari.cli;

import com.hazelcast.core.HazelcastInstance;
import java.util.concurrent.Callable;
import katamari.cluster.HazelcastSetup;
import katamari.config.KatamariConfig;
import katamari.worker.WorkerAgent;
import katamari.worker.membership.WorkerMembership;
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

    @Override
    public Integer call() throws Exception {
        KatamariConfig c = cluster.apply(options.load());
        Roles roles = new Roles();
        WorkerAgent worker = roles.add(new WorkerAgent(c));
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
