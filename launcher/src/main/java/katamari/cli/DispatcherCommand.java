package katamari.cli;

import java.util.concurrent.Callable;
import katamari.config.KatamariConfig;
import katamari.dispatcher.Dispatcher;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "dispatcher", mixinStandardHelpOptions = true,
        description = "Run a master (Hazelcast member, admin API) against an external Kafka; several form the master set.")
final class DispatcherCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions options;

    @Mixin
    ClusterOptions cluster;

    @Option(names = "--host", description = "interface to bind and advertise, overriding cluster.host")
    String host;

    @Option(names = "--member-port", description = "Hazelcast member port, overriding cluster.port")
    Integer memberPort;

    @Option(names = "--admin-port", description = "admin API port, overriding cluster.adminPort")
    Integer adminPort;

    @Override
    public Integer call() throws Exception {
        KatamariConfig c = cluster.apply(options.load());
        c = c.withCluster(ClusterOptions.member(c.cluster(), host, memberPort, adminPort));
        Roles roles = new Roles();
        Dispatcher dispatcher = roles.add(new Dispatcher(c));
        dispatcher.start();
        System.out.println("dispatcher " + c.cluster().self() + " (priority " + c.cluster().priorityOf(c.cluster().self())
                + " in " + c.cluster().members() + ") admin API " + dispatcher.adminUrl());
        roles.awaitShutdown();
        return 0;
    }
}
