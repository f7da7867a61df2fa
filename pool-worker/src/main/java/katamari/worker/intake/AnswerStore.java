package katamari.worker.intake;

import com.fasterxml.jackson.databind.JsonNode;
import katamari.config.PoolDefinition;

/**
 * Where an agent puts the successful answers of the methods a pool-version caches: the cluster's response cache
 * (set by the agent's membership), or {@link #NONE} for an agent without a cluster. Called on the thread that
 * answered the call, so it must not block (the cache's store is fire-and-forget).
 */
@FunctionalInterface
public interface AnswerStore {
    AnswerStore NONE = (pool, method, args, result) -> { };

    /** {@code result} answered {@code method(args)} on {@code pool}; stored only if the pool caches {@code method}. */
    void store(PoolDefinition pool, String method, JsonNode args, JsonNode result);
}
