package katamari.gateway.http;

import java.time.Duration;
import katamari.gateway.GatewayException;
import katamari.gateway.auth.ApiClient;
import katamari.gateway.calls.PoolCalls;
import katamari.topics.ErrorCode;

/**
 * What the pool routes and JSON-RPC read alike from an HTTP request before they call a pool: who calls (its API
 * key), the route key, the deadline ({@code Katamari-Timeout-Ms}, which may only shorten {@code gateway.timeout}), a hedge
 * delay and a quorum.
 */
final class Arrivals {
    static final String TIMEOUT_HEADER = "Katamari-Timeout-Ms";
    static final String ROUTE_KEY_HEADER = "Katamari-Route-Key";
    static final String HEDGE_HEADER = "Katamari-Hedge-Ms";
    /** How many copies of a majority request to run (docs/design.md, "Majority requests"); also a response header. */
    static final String QUORUM_HEADER = "Katamari-Quorum";
    /** {@code no}: do not answer from the response cache; {@code yes}: the default. Also the response header's name. */
    static final String CACHE_HEADER = "Katamari-Cache";

    /**
     * One HTTP request's caller; every call of a JSON-RPC batch shares it.
     *
     * @param hedgeMs the {@code Katamari-Hedge-Ms} header, or null (the pool-version's {@code hedgeAfter} applies)
     * @param quorum  the {@code Katamari-Quorum} header, or null (one copy)
     * @param bypassCache the caller sent {@code Katamari-Cache: no}
     */
    record Arrival(ApiClient who, String routeKey, long deadline, Long hedgeMs, PoolCalls.Quorum quorum, boolean bypassCache) {}

    private final Access access;
    private final Duration globalTimeout;

    Arrivals(Access access, Duration globalTimeout) {
        this.access = access;
        this.globalTimeout = globalTimeout;
    }

    /** @throws GatewayException unauthorized or forbidden, or a malformed timeout header (bad_request) */
    Arrival of(Incoming request) {
        ApiClient who = access.caller(request);
        long deadline = System.currentTimeMillis() + timeout(request.header(TIMEOUT_HEADER)).toMillis();
        return new Arrival(who, request.header(ROUTE_KEY_HEADER), deadline, positiveMillis(request.header(HEDGE_HEADER), HEDGE_HEADER),
                quorum(request.header(QUORUM_HEADER), QUORUM_HEADER), bypassCache(request.header(CACHE_HEADER)));
    }

    /**
     * A number of copies as a caller wrote it ({@code what} names where): an odd whole number, at least 1, or null
     * when absent. The limits that depend on the pool-version are {@link PoolCalls}'. @throws GatewayException
     * bad_request for anything else
     */
    static PoolCalls.Quorum quorum(String text, String what) {
        if (text == null) {
            return null;
        }
        int n;
        try {
            n = Integer.parseInt(text.trim());
        } catch (NumberFormatException e) {
            throw new GatewayException(ErrorCode.BAD_REQUEST, what + " must be an odd whole number of copies (1, 3, 5...), was '" + text + "'");
        }
        return quorum(n, what);
    }

    static PoolCalls.Quorum quorum(int n, String what) {
        if (n < 1 || n % 2 == 0) {
            throw new GatewayException(ErrorCode.BAD_REQUEST, what + " must be an odd number of copies, at least 1 (a majority of an even"
                    + " number can tie), was " + n);
        }
        return new PoolCalls.Quorum(n, what);
    }

    /** {@code Katamari-Cache}: absent or {@code yes} uses the cache, {@code no} bypasses it (either case); else bad_request. */
    static boolean bypassCache(String text) {
        if (text == null || text.trim().equalsIgnoreCase("yes")) {
            return false;
        }
        if (text.trim().equalsIgnoreCase("no")) {
            return true;
        }
        throw new GatewayException(ErrorCode.BAD_REQUEST, CACHE_HEADER + " must be 'no' (do not answer from the response cache) or 'yes'"
                + " (the default), was '" + text + "'");
    }

    /**
     * A delay as a caller wrote it, a hedge's or a timeout's ({@code what} names where, for the message): a positive
     * whole number of milliseconds, or null when absent. @throws GatewayException bad_request for anything else
     */
    static Long positiveMillis(String text, String what) {
        if (text == null) {
            return null;
        }
        long ms;
        try {
            ms = Long.parseLong(text.trim());
        } catch (NumberFormatException e) {
            throw new GatewayException(ErrorCode.BAD_REQUEST, what + " must be a whole number of milliseconds, was '" + text + "'");
        }
        if (ms <= 0) {
            throw new GatewayException(ErrorCode.BAD_REQUEST, what + " must be a positive number of milliseconds, was " + ms);
        }
        return ms;
    }

    /** The {@code Katamari-Timeout-Ms} header, capped by the global timeout. */
    private Duration timeout(String header) {
        Long ms = positiveMillis(header, TIMEOUT_HEADER);
        if (ms == null) {
            return globalTimeout;
        }
        return ms < globalTimeout.toMillis() ? Duration.ofMillis(ms) : globalTimeout;
    }
}
