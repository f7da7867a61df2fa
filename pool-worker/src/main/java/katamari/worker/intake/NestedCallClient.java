package katamari.worker.intake;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import katamari.client.KatamariClient;
import katamari.topics.ErrorCode;
import katamari.topics.KatamariError;
import katamari.topics.Reply;
import katamari.topics.Request;
import katamari.worker.supervisor.NestedCalls;

/**
 * Nested calls of this agent's instances, made over Kafka like any other request, with the agent's own reply
 * topic. The outer call's deadline travels with the inner request, so a slow inner call cannot outlive it.
 */
public final class NestedCallClient implements NestedCalls {
    private final KatamariClient client;
    private final Function<String, Optional<String>> versionOf;
    /** A redelivered outer request reuses its nested ids; the suffix keeps each attempt's correlation apart. */
    private final AtomicLong attempt = new AtomicLong();

    /** @param versionOf which version of a pool a nested call goes to, or empty when there is no such pool */
    public NestedCallClient(KatamariClient client, Function<String, Optional<String>> versionOf) {
        this.client = client;
        this.versionOf = versionOf;
    }

    @Override
    public CompletableFuture<Reply> call(String id, String pool, String method, ObjectNode args, long deadlineMillis) {
        Optional<String> version = pool == null ? Optional.empty() : versionOf.apply(pool);
        if (version.isEmpty()) {
            return CompletableFuture.completedFuture(Reply.failure(id, KatamariError.of(ErrorCode.POOL_NOT_FOUND,
                    "no pool named '" + pool + "' for a nested call")));
        }
        Request request;
        try {
            request = new Request(method, args);
        } catch (IllegalArgumentException e) {
            return CompletableFuture.completedFuture(Reply.failure(id, KatamariError.of(ErrorCode.BAD_REQUEST, e.getMessage())));
        }
        String correlation = id + "~" + attempt.incrementAndGet();
        return client.call(pool, version.get(), correlation, request, deadlineMillis, null).thenApply(answer -> {
            Reply r = answer.reply();
            return r.isError() ? Reply.failure(id, r.error()) : Reply.success(id, r.result());
        });
    }
}
