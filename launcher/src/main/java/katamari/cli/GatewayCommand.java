package katamari.cli;

import com.hazelcast.core.HazelcastInstance;
import java.util.concurrent.Callable;
import katamari.cluster.HazelcastSetup;
import katamari.config.KatamariConfig;
import katamari.gateway.Gateway;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "gateway", mixinStandardHelpOptions = true,
        description = "Run an HTTP gateway against an external Kafka, following the cluster's pool set as a Hazelcast client.")
final class GatewayCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions options;

    @Mixin
    ClusterOptions cluster;

    @Option(names = "--port", description = "HTTP port, overriding the config file")
    Integer port;

    @Override
    public Integer call() throws Exception {
        KatamariConfig c = cluster.apply(options.load());
        if (port != null) {
            c = c.withGateway(c.gateway().withPort(port));
        }
        Roles roles = new Roles();
        HazelcastInstance client = HazelcastSetup.startGatewayClient(c.cluster(), "katamari-gateway");
        roles.add(client::shutdown);
        Gateway gateway = roles.add(new Gateway(c, client));
        gateway.start();
        System.out.println("gateway ready on http://" + c.gateway().host() + ":" + gateway.port() + " following " + c.cluster().members());
        roles.awaitShutdown();
        return 0;
    }
}
