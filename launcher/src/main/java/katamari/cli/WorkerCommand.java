package katamari.cli;

import java.util.concurrent.Callable;
import katamari.worker.WorkerAgent;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "worker", mixinStandardHelpOptions = true, description = "Run a worker agent against an external Kafka.")
final class WorkerCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions options;

    @Override
    public Integer call() throws Exception {
        Roles roles = new Roles();
        WorkerAgent worker = roles.add(new WorkerAgent(options.load()));
        worker.start();
        roles.awaitShutdown();
        return 0;
    }
}
