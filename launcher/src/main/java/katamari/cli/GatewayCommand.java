package katamari.cli;

import java.util.concurrent.Callable;
import katamari.config.KatamariConfig;
import katamari.gateway.Gateway;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "gateway", mixinStandardHelpOptions = true, description = "Run an HTTP gateway against an external Kafka.")
final class GatewayCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions options;

    @Option(names = "--port", description = "HTTP port, overriding the config file")
    Integer port;

    @Override
    public Integer call() throws Exception {
        KatamariConfig c = options.load();
        Roles roles = new Roles();
        roles.add(new Gateway(port == null ? c : c.withGateway(c.gateway().withPort(port)))).start();
        roles.awaitShutdown();
        return 0;
    }
}
