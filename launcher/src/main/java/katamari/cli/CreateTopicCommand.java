package katamari.cli;

import java.util.concurrent.Callable;
import katamari.client.KatamariClient;
import katamari.config.KatamariConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** For clients that produce straight to Kafka and want replies on a topic of their own (the broker does not auto-create). */
@Command(name = "create-topic", mixinStandardHelpOptions = true, description = "Create a topic (e.g. a reply topic for a Kafka client).")
final class CreateTopicCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions options;

    @Parameters(paramLabel = "NAME")
    String name;

    @Override
    public Integer call() {
        KatamariConfig c = options.load();
        System.out.println(KatamariClient.createTopic(c.kafka(), name) ? "created topic " + name : "topic " + name + " already exists");
        return 0;
    }
}
