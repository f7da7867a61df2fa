package katamari.gateway.calls;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import katamari.client.Answer;
import katamari.client.KatamariClient;
import katamari.config.PoolDefinition;
import katamari.gateway.GatewayException;
import katamari.gateway.auth.ApiClient;
import katamari.gateway.routing.PoolDirectory;
import katamari.gateway.stats.GatewayStats;
import katamari.topics.ErrorCode;
import katamari.topics.Reply;
import katamari.topics.Request;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every faceplate does with one call: check the caller may use the pool, pick the version (pin, route key,
 * weights), take a place under the pool-version's bound, publish, and count the outcome. HTTP routes and JSON-RPC
 * differ only in how they read requests and write answers.
 */
public final class PoolCalls {
    private static final Logger LOG = LoggerFactory.getLogger(PoolCalls.class);

    /**
     * Where a call goes.
     *
     * @param pin      a version the caller pinned, or null
     * @param routeKey keeps unpinned calls with the same key on the same version, or null
     */
    public record Target(String pool, String pin, String routeKey) {}

    /**
     * A majority request's number of copies, as the caller asked (odd, at least 1: {@code Katamari-Quorum} checks
     * that); {@code from} names where it was asked, for messages.
     */
    public record Quorum(int copies, String from) {}

    /** A published call: the version it was routed to, and its answer (which then always names pool and version). */
    public record Call(PoolDefinition routed, CompletableFuture<Answer> answer) {}

    private final PoolDirectory directory;
    private final KatamariClient client;
    private final Backpressure backpressure;
    private final GatewayStats stats;
    private final int maxQuorum;
    private final Map<String, HedgeBudget> budgets = new ConcurrentHashMap<>();

    /**
     * Calls and hedges of one pool-version at this gateway since it started: a hedge may go out while hedges stay
     * within the cap's share of calls, so a pool slow for everyone is hedged on a tenth of its calls, not all.
     */
    private static final class HedgeBudget {
        final AtomicLong calls = new AtomicLong();
        final AtomicLong hedges = new AtomicLong();

        boolean tryHedge(int percent) {
            while (true) {
                long h = hedges.get();
                if ((h + 1) * 100 > (long) percent * calls.get()) {
                    return false;
                }
                if (hedges.compareAndSet(h, h + 1)) {
                    return true;
                }
            }
        }
    }

    /** @param maxQuorum most copies a majority request may ask for ({@code gateway.maxQuorum}) */
    public PoolCalls(PoolDirectory directory, KatamariClient client, Backpressure backpressure, GatewayStats stats, int maxQuorum) {
        this.maxQuorum = maxQuorum;
        this.directory = directory;
        this.client = client;
        this.backpressure = backpressure;
        this.stats = stats;
    }

    /** @throws GatewayException {@code forbidden}, {@code pool_not_found} or {@code overloaded}; nothing was published */
    public Call call(ApiClient who, Target target, String id, Request request, long deadlineMillis) {
        return call(who, target, id, request, deadlineMillis, null);
    }

    /**
     * A call that is hedged after {@code hedgeMillis} (the caller's {@code Katamari-Hedge-Ms}), or after the
     * pool-version's {@code hedgeAfter} when null, or not at all when neither is set. A hedge goes out only while
     * the pool-version's hedges stay within its {@code hedgeMaxPercent} of its calls at this gateway.
     */
    public Call call(ApiClient who, Target target, String id, Request request, long deadlineMillis, Long hedgeMillis) {
        return call(who, target, id, request, deadlineMillis, hedgeMillis, null);
    }

    /**
     * {@link #call} as a majority request when {@code quorum} asks for more than one copy: the copies go out at once,
     * and the call is never hedged. Refused ({@code bad_request}, nothing published) when it asks for more copies
     * than {@code gateway.maxQuorum} or than the pool-version's {@code instances}. A quorum of 1 is a plain call
     * whose answer says {@code 1/1}.
     */
    public Call call(ApiClient who, Target target, String id, Request request, long deadlineMillis, Long hedgeMillis, Quorum quorum) {
        PoolDefinition pool = route(who, target);
        if (quorum != null) {
            checkQuorum(quorum, pool);
        }
        Backpressure.Permit permit = admit(pool);
        long start = System.nanoTime();
        HedgeBudget budget = budgets.computeIfAbsent(pool.key(), k -> new HedgeBudget());
        budget.calls.incrementAndGet();
        Long after = hedgeMillis != null ? hedgeMillis : pool.hedgeAfter() != null ? (Long) pool.hedgeAfter().toMillis() : null;
        KatamariClient.Hedge hedge = after == null ? null : new KatamariClient.Hedge(after,
                () -> budget.tryHedge(pool.hedgeCapPercent()), () -> stats.hedgeSent(pool.name(), pool.version()));
        CompletableFuture<Answer> answer;
        try {
            if (quorum != null && quorum.copies() > 1) {
                answer = client.quorum(pool.name(), pool.version(), id, request, deadlineMillis, target.pin(), quorum.copies());
                stats.quorumSent(pool.name(), pool.version());
            } else {
                answer = client.call(pool.name(), pool.version(), id, request, deadlineMillis, target.pin(), quorum == null ? hedge : null);
            }
        } catch (RuntimeException e) {
            permit.release();
            throw e;
        }
        // released however the answer ends, so that the bound can never leak a place
        return new Call(pool, answer.whenComplete((a, e) -> permit.release()).thenApply(a -> {
            Answer named = named(a, pool, quorum);
            if (named.hedging() == Answer.Hedging.SENT_HEDGE_WON) {
                stats.hedgeWon(pool.name(), pool.version());
            }
            if (quorum != null && quorum.copies() > 1 && !isTimeout(named)) {
                stats.quorumEnded(pool.name(), pool.version(), !(named.reply().isError()
                        && named.reply().error().knownCode() == ErrorCode.NO_QUORUM));
            }
            stats.answered(pool.name(), pool.version(), named.reply().isError() ? named.reply().error().code() : null, System.nanoTime() - start);
            return named;
        }));
    }

    /**
     * Publishes a call nobody waits for (a JSON-RPC notification). It is still routed, authorised and bounded: a
     * pool-version at its bound refuses it, since a queue nobody drains grows without a caller to feel it.
     */
    public PoolDefinition notify(ApiClient who, Target target, String id, Request request, long deadlineMillis) {
        PoolDefinition pool = route(who, target);
        Backpressure.Permit permit = admit(pool);
        try {
            client.send(pool.name(), pool.version(), id, request, deadlineMillis, target.pin()).whenComplete((ok, e) -> {
                permit.release();
                if (e != null) {
                    LOG.info("notification {} to {} could not be queued: {}", id, pool.key(), e.toString());
                    stats.refused(pool.name(), pool.version(), ErrorCode.OVERLOADED);
                }
            });
        } catch (RuntimeException e) {
            permit.release();
            throw e;
        }
        return pool;
    }

    private PoolDefinition route(ApiClient who, Target target) {
        if (!who.mayCall(target.pool())) {
            throw new GatewayException(ErrorCode.FORBIDDEN, "API key '" + who.name() + "' may not call pool '" + target.pool() + "'");
        }
        return directory.route(target.pool(), target.pin(), target.routeKey()).orElseThrow(() -> new GatewayException(ErrorCode.POOL_NOT_FOUND,
                target.pin() != null ? "pool '" + target.pool() + "' has no version '" + target.pin() + "'"
                        : directory.exists(target.pool()) ? "pool '" + target.pool() + "' has no version taking unpinned requests (every weight is 0)"
                        : "no pool named '" + target.pool() + "'"));
    }

    private Backpressure.Permit admit(PoolDefinition pool) {
        try {
            return backpressure.admit(pool.key());
        } catch (GatewayException e) {
            stats.refused(pool.name(), pool.version(), e.code());
            throw e;
        }
    }

    /** More copies than the ceiling or than the pool-version has instances: refused before anything is published. */
    private void checkQuorum(Quorum quorum, PoolDefinition pool) {
        if (quorum.copies() > maxQuorum) {
            throw new GatewayException(ErrorCode.BAD_REQUEST, quorum.from() + " may ask for at most " + maxQuorum
                    + " copies (gateway.maxQuorum), was " + quorum.copies());
        }
        if (quorum.copies() > pool.instances()) {
            throw new GatewayException(ErrorCode.BAD_REQUEST, quorum.from() + " asks for " + quorum.copies() + " copies, but "
                    + pool.key() + " runs " + pool.instances() + " instances: copies run on distinct instances");
        }
    }

    private static boolean isTimeout(Answer a) {
        return a.reply().isError() && a.reply().error().knownCode() == ErrorCode.TIMEOUT;
    }

    /**
     * An answer the client made itself (timeout, send failure) names no pool-version; this one was routed, so say
     * where. A quorum of 1 (a plain call) still says how many agreed.
     */
    private static Answer named(Answer a, PoolDefinition pool, Quorum quorum) {
        Reply r = a.reply();
        if (r.isError() && r.error().pool() == null) {
            r = Reply.failure(r.id(), r.error().at(pool.name(), pool.version()));
        }
        String agreed = a.quorum() != null ? a.quorum() : quorum == null ? null : a.pool() == null ? "0/1" : "1/1";
        return new Answer(r, a.pool() != null ? a.pool() : pool.name(), a.version() != null ? a.version() : pool.version(), a.hedging(), agreed);
    }
}
