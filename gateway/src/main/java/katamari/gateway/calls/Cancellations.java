package katamari.gateway.calls;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import katamari.client.Answer;
import katamari.client.KatamariClient;
import katamari.config.PoolDefinition;
import katamari.gateway.GatewayException;
import katamari.gateway.auth.ApiClient;
import katamari.gateway.stats.GatewayStats;
import katamari.topics.ErrorCode;
import katamari.topics.KatamariError;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The calls this gateway has published and not answered, by id, and the two ways to give one up: its caller says so
 * ({@code DELETE /requests/{id}}) or its HTTP client went away. Ids are unique among them, so a caller that names its
 * call ({@code Katamari-Id}) can cancel it by that name. Giving up answers the call {@code cancelled} at once and
 * publishes a cancel for it (and its hedge copy): agents skip what has not started (docs/design.md, "Cancellation").
 */
public final class Cancellations {
    private static final Logger LOG = LoggerFactory.getLogger(Cancellations.class);
    public static final String DELETED = "deleted";
    public static final String DISCONNECTED = "disconnected";
    public static final String HEDGE_LOST = "hedge_lost";

    /** Who made a pending call (an API key's name) and where it went. */
    private record Owner(String caller, PoolDefinition pool) {}

    private final Map<String, Owner> pending = new ConcurrentHashMap<>();
    private final KatamariClient client;
    private final GatewayStats stats;

    Cancellations(KatamariClient client, GatewayStats stats) {
        this.client = client;
        this.stats = stats;
    }

    /**
     * Publishes a call ({@code publish}) under {@code id} and keeps it here until it is answered.
     *
     * @throws GatewayException {@code duplicate_id} when a call with {@code id} is pending already; nothing was published
     */
    CompletableFuture<Answer> track(String id, ApiClient who, PoolDefinition pool, Supplier<CompletableFuture<Answer>> publish) {
        Owner mine = new Owner(who.name(), pool);
        if (pending.putIfAbsent(id, mine) != null) {
            throw new GatewayException(ErrorCode.DUPLICATE_ID, "a call with id '" + id + "' is still pending at this gateway; "
                    + "give each call a Katamari-Id of its own");
        }
        try {
            CompletableFuture<Answer> answer = publish.get();
            answer.whenComplete((a, e) -> pending.remove(id, mine));
            return answer;
        } catch (RuntimeException e) {
            pending.remove(id, mine);
            throw e;
        }
    }

    /**
     * {@code DELETE /requests/{id}}: cancels the call {@code id} that {@code who} made.
     *
     * @throws GatewayException {@code not_found} when no call of {@code who}'s has that id pending here (unknown,
     *                          answered, another key's, or pending at another gateway): nothing is published
     */
    public void cancel(ApiClient who, String id) {
        Owner owner = pending.get(id);
        if (owner == null || !owner.caller().equals(who.name())
                || !giveUp(id, owner, DELETED, "cancelled by DELETE /requests/" + id)) {
            throw new GatewayException(ErrorCode.NOT_FOUND, "no call with id '" + id + "' is pending at this gateway for API key '"
                    + who.name() + "' (it may have been answered already)");
        }
    }

    /** The HTTP client of the call {@code id} went away before its answer; nothing happens when it was answered. */
    public void abandon(String id) {
        Owner owner = pending.get(id);
        if (owner != null) {
            giveUp(id, owner, DISCONNECTED, "the HTTP client went away before the answer");
        }
    }

    private boolean giveUp(String id, Owner owner, String why, String message) {
        PoolDefinition pool = owner.pool();
        if (!client.cancel(id, KatamariError.of(ErrorCode.CANCELLED, message).at(pool.name(), pool.version()))) {
            return false; // answered between the look-up and now
        }
        stats.cancelled(pool.name(), pool.version(), why);
        LOG.info("call {} to {} cancelled ({}): {}", id, pool.key(), why, message);
        return true;
    }
}
