package katamari.dispatcher;

import java.util.concurrent.atomic.AtomicReference;
import katamari.config.KatamariConfig;
import katamari.dispatcher.provisioning.TopicProvisioner;

/**
 * The master role. For now it provisions Kafka for the configured pools; leader election and pool metadata
 * (Hazelcast CP) come with the masters issue.
 */
public final class Dispatcher implements AutoCloseable {
    private enum State { NEW, STARTED, CLOSED }

    private final AtomicReference<State> state = new AtomicReference<>(State.NEW);
    private final KatamariConfig config;

    public Dispatcher(KatamariConfig config) {
        this.config = config;
    }

    public void start() {
        if (!state.compareAndSet(State.NEW, State.STARTED)) {
            throw new IllegalStateException("dispatcher cannot be started more than once (state " + state.get() + ")");
        }
        try (TopicProvisioner provisioner = new TopicProvisioner(config.kafka())) {
            provisioner.provision(config.pools());
        }
    }

    @Override
    public void close() {
        state.set(State.CLOSED);
    }
}
