package katamari.chassis;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Nested calls: a handler calling another pool through its own agent. The call blocks until the other pool
 * answers; the agent bounds it by the outer call's deadline, so a slow inner call cannot outlive the outer request.
 */
@FunctionalInterface
public interface Calls {
    /**
     * @return the other pool's result
     * @throws CallFailedException when the other pool, or the agent, answers with an error (its code says why:
     *                             {@code timeout}, {@code pool_not_found}, {@code handler_error}, ...)
     */
    JsonNode call(String pool, String method, ObjectNode args);
}
