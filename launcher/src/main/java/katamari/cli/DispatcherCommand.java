package katamari.cli;

import java.util.concurrent.Callable;
import katamari.dispatcher.Dispatcher;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "dispatcher", mixinStandardHelpOptions = true, description = "Run the master role against an external Kafka.")
final class DispatcherCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions options;

    @Override
    public Integer call() throws Exception {
        Roles roles = new Roles();
        roles.add(new Dispatcher(options.load())).start();
        System.out.println("dispatcher: topics provisioned");
        roles.awaitShutdown();
        return 0;
    }
}
