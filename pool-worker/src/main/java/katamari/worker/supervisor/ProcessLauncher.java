package katamari.worker.supervisor;

import java.io.IOException;
import katamari.config.PoolDefinition;

/**
 * Starts the process of one instance: the seam between supervision and the operating system. The real one
 * ({@link #system()}) runs the pool's argv with a scrubbed environment; tests hand {@link Instance} a process of
 * their own, so they decide what the "chassis" says and when it dies.
 */
@FunctionalInterface
public interface ProcessLauncher {
    /** Starts {@code pool}'s command for instance {@code instanceId}; it has not said hello yet. */
    Process start(PoolDefinition pool, String instanceId) throws IOException;

    /** Real processes: {@link ProcessBuilder}, in a session of their own, with only the environment the pool allows. */
    static ProcessLauncher system() {
        return SystemProcessLauncher.INSTANCE;
    }
}
