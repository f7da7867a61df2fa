package katamari.dispatcher.provisioning;

import java.util.Collection;
import katamari.config.PoolDefinition;

/** The Kafka topics the master creates and deletes; {@link TopicProvisioner} does it on a broker. */
public interface Topics {
    /** Creates what the pool-versions need (idempotent); throws when the broker cannot. */
    void provision(Collection<PoolDefinition> pools);

    /** Deletes a topic; one that does not exist is fine. */
    void deleteTopic(String topic);
}
