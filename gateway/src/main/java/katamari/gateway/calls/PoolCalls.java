package katamari.gateway.calls;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import katamari.client.Answer;
import katamari.client.KatamariClient;
import katamari.cluster.ResponseCache;
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
 * weights), answer from the response cache when the pool-version caches the method and has a fresh answer, else take
 * a place under the pool-version's bound, publish, and count the outcome. HTTP routes and JSON-RPC differ only in how
 * they read requests and write answers.
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

    /**
     * What a caller asked of one call besides its request: a hedge delay ({@code Katamari-Hedge-Ms}; null: the
     * pool-version's {@code hedgeAfter}, if any), a majority of copies ({@code Katamari-Quorum}; null: one copy),
     * and not to be answered from the response cache ({@code Katamari-Cache: no}).
     */
    public record Asked(Long hedgeMillis, Quorum quorum, boolean bypassCache) {
        /** Nothing asked: the pool-version's defaults. */
        public static final Asked DEFAULTS = new Asked(null, null, false);
    }

    /**
     * What the response cache did for a call ({@code Katamari-Cache}): answered it, had nothing fresh, was told not to
     * look ({@code Katamari-Cache: no}), or has nothing to do with it (the pool-version does not cache the method, or
     * this gateway has no cluster): no header then.
     */
    public enum CacheUse {
        HIT("hit"), MISS("miss"), BYPASS("bypass"), OFF(null);

        private final String wire;

        CacheUse(String wire) {
            this.wire = wire;
        }

        /** The response header's value, or null for none. */
        public String wire() {
            return wire;
        }
    }

    /**
     * A call: the version it was routed to, its answer (which then always names pool and version), and whether the
     * response cache answered it (then nothing was published).
     */
    public record Call(PoolDefinition routed, CompletableFuture<Answer> answer, CacheUse cache) {}

    private final PoolDirectory directory;
    private final KatamariClient client;
    private final Backpressure backpressure;
    private final GatewayStats stats;
    private final int maxQuorum;
    private final Map<String, HedgeBudget> budgets = new ConcurrentHashMap<>();
    private final Cancellations cancellations;
    private final ResponseCache cache;

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

    /**
     * @param maxQuorum most copies a majority request may ask for ({@code gateway.maxQuorum})
     * @param cache     the cluster's response cache, or null (a gateway without a cluster caches nothing)
     */
    public PoolCalls(PoolDirectory directory, KatamariClient client, Backpressure backpressure, GatewayStats stats, int maxQuorum,
                     ResponseCache cache) {
        this.maxQuorum = maxQuorum;
        this.directory = directory;
        this.client = client;
        this.backpressure = backpressure;
        this.stats = stats;
        this.cancellations = new Cancellations(client, stats);
        this.cache = cache;
    }

    /** The calls pending at this gateway, and how to cancel one. */
    public Cancellations cancellations() {
        return cancellations;
    }

    /**
     * @throws GatewayException {@code forbidden}, {@code pool_not_found}, {@code overloaded} or {@code duplicate_id} (a
     *                          call with {@code id} is pending); nothing was published
     */
    public Call call(ApiClient who, Target target, String id, Request request, long deadlineMillis) {
        return call(who, target, id, request, deadlineMillis, Asked.DEFAULTS);
    }

    /**
     * A call that is hedged after {@code hedgeMillis} (the caller's {@code Katamari-Hedge-Ms}), or after the
     * pool-version's {@code hedgeAfter} when null, or not at all when neither is set. A hedge goes out only while
     * the pool-version's hedges stay within its {@code hedgeMaxPercent} of its calls at this gateway.
     *
     * <p>A majority request ({@code asked.quorum()} of more than one copy) sends its copies at once and is never
     * hedged; it is refused ({@code bad_request}, nothing published) when it asks for more copies than
     * {@code gateway.maxQuorum} or than the pool-version's {@code instances}. A quorum of 1 is a plain call whose
     * answer says {@code 1/1}. A majority request is never answered from the response cache (it asks for fresh
     * answers from distinct instances: {@code Katamari-Cache: bypass}); nor is a call that says
     * {@code Katamari-Cache: no}. Their successful answers are still stored by the agents, as every successful
     * answer of a cached method is.
     */
    public Call call(ApiClient who, Target target, String id, Request request, long deadlineMillis, Asked asked) {
        long start = System.nanoTime();
        Quorum quorum = asked.quorum();
        PoolDefinition pool = route(who, target);
        if (quorum != null) {
            checkQuorum(quorum, pool);
        }
        boolean majority = quorum != null && quorum.copies() > 1;
        CacheUse use = cache == null || pool.cacheTime(request.method()) == null ? CacheUse.OFF
                : asked.bypassCache() || majority ? CacheUse.BYPASS : CacheUse.MISS;
        if (use == CacheUse.MISS) {
            Optional<JsonNode> hit = cache.lookup(pool, request.method(), request.args());
            if (hit.isPresent()) {
                // answered here: no Kafka, no place under the bound, no hedge; counted as an answered call all the same
                stats.cacheHit(pool.name(), pool.version());
                stats.answered(pool.name(), pool.version(), null, System.nanoTime() - start);
                Answer answer = new Answer(Reply.success(id, hit.get()), pool.name(), pool.version());
                return new Call(pool, CompletableFuture.completedFuture(answer), CacheUse.HIT);
            }
            stats.cacheMiss(pool.name(), pool.version());
        }
        Backpressure.Permit permit = admit(pool);
        HedgeBudget budget = budgets.computeIfAbsent(pool.key(), k -> new HedgeBudget());
        budget.calls.incrementAndGet();
        Long after = asked.hedgeMillis() != null ? asked.hedgeMillis() : pool.hedgeAfter() != null ? (Long) pool.hedgeAfter().toMillis() : null;
        KatamariClient.Hedge hedge = after == null ? null : new KatamariClient.Hedge(after,
                () -> budget.tryHedge(pool.hedgeCapPercent()), () -> stats.hedgeSent(pool.name(), pool.version()));
        CompletableFuture<Answer> answer;
        try {
            answer = cancellations.track(id, who, pool, () -> {
                if (majority) {
                    CompletableFuture<Answer> decided = client.quorum(pool.name(), pool.version(), id, request, deadlineMillis, target.pin(), quorum.copies());
                    stats.quorumSent(pool.name(), pool.version());
                    return decided;
                }
                return client.call(pool.name(), pool.version(), id, request, deadlineMillis, target.pin(), quorum == null ? hedge : null);
            });
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
            if (named.hedging() == Answer.Hedging.SENT_HEDGE_WON || named.hedging() == Answer.Hedging.SENT_FIRST_WON) {
                stats.cancelled(pool.name(), pool.version(), Cancellations.HEDGE_LOST); // KatamariClient cancelled the loser
            }
            if (majority && !isTimeout(named)) {
                stats.quorumEnded(pool.name(), pool.version(), !(named.reply().isError()
                        && named.reply().error().knownCode() == ErrorCode.NO_QUORUM));
            }
            stats.answered(pool.name(), pool.version(), named.reply().isError() ? named.reply().error().code() : null, System.nanoTime() - start);
            return named;
        }), use);
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
