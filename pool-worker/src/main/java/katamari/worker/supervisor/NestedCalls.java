package katamari.worker.supervisor;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.concurrent.CompletableFuture;
import katamari.topics.Reply;

/** How an instance's nested calls ({@code call_pool}) reach other pools: through the agent, under the outer deadline. */
@FunctionalInterface
public interface NestedCalls {
    /** Completes with the other pool's reply (a result or an error), never exceptionally. */
    CompletableFuture<Reply> call(String id, String pool, String method, ObjectNode args, long deadlineMillis);
}
