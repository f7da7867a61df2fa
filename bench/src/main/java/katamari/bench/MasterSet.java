package katamari.bench;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Dispatcher processes the failover bench may kill and start again. {@code bin/katamari bench} gives it a local
 * cluster (launcher's {@code LocalCluster}), so this module neither starts processes nor knows role names.
 */
public interface MasterSet extends AutoCloseable {
    /** Dispatchers, in master-list order: 0 is the first on the list. */
    int size();

    /** {@code GET /cluster} of one dispatcher, or null when it does not answer. */
    JsonNode view(int dispatcher);

    /** SIGKILL: no shutdown runs, so its CP session and lock stay until the CP group times them out. */
    void kill9(int dispatcher);

    /** Starts a killed dispatcher again; returns once it is up. */
    void start(int dispatcher);

    @Override
    void close();
}
