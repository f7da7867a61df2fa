package katamari.cli;

import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import katamari.config.KatamariConfig;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
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
    public Integer call() throws Exception {
        KatamariConfig c = options.load();
        try (Admin admin = Admin.create(c.kafka().clientProperties())) {
            admin.createTopics(List.of(new NewTopic(name, 1, c.kafka().replicationFactor()))).all().get();
            System.out.println("created topic " + name);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw new IllegalStateException("cannot create topic " + name + ": " + e.getCause().getMessage(), e.getCause());
            }
            System.out.println("topic " + name + " already exists");
        }
        return 0;
    }
}
