package katamari.bench;

import java.nio.file.Path;

/**
 * A cluster the scale-out bench grows one worker agent at a time. {@code bin/katamari bench} gives it a local cluster
 * (launcher's {@code LocalCluster}), so this module neither starts processes nor knows role names (as {@link MasterSet}).
 */
public interface WorkerCluster extends AutoCloseable {
    /** Starts one. */
    interface Factory {
        /**
         * @param config  the config file every role loads (the bench writes it: its pool, the agents' capacity)
         * @param workers worker agents to start with
         * @return once the config's pool instances that fit on {@code workers} agents are up
         */
        WorkerCluster start(Path config, int workers);
    }

    /** {@code bootstrap.servers} of its brokers. */
    String bootstrap();

    /** Starts one more worker agent; returns its worker id once it has joined the masters (its ready line). */
    String addWorker();

    /** Stops every role. */
    @Override
    void close();
}
