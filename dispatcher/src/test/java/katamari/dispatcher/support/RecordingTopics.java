package katamari.dispatcher.support;

import java.util.Collection;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import katamari.config.PoolDefinition;
import katamari.dispatcher.provisioning.Topics;

/** {@link Topics} that only remembers what it was asked. */
public final class RecordingTopics implements Topics {
    public final List<String> provisioned = new CopyOnWriteArrayList<>();
    public final List<String> deleted = new CopyOnWriteArrayList<>();

    @Override
    public void provision(Collection<PoolDefinition> pools) {
        pools.forEach(p -> provisioned.add(p.key()));
    }

    @Override
    public void deleteTopic(String topic) {
        deleted.add(topic);
    }
}
