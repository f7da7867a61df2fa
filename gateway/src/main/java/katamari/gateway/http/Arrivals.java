package katamari.gateway.http;

import io.javalin.http.Context;
import java.time.Duration;
import katamari.gateway.GatewayException;
import katamari.gateway.auth.ApiClient;
import katamari.topics.ErrorCode;

/**
 * What the pool routes and JSON-RPC read alike from an HTTP request before they call a pool: who calls (its API
 * key), the route key, and the deadline ({@code Katamari-Timeout-Ms}, which may only shorten {@code gateway.timeout}).
 */
final class Arrivals {
    static final String TIMEOUT_HEADER = "Katamari-Timeout-Ms";
    static final String ROUTE_KEY_HEADER = "Katamari-Route-Key";

    /** One HTTP request's caller; every call of a JSON-RPC batch shares it. */
    record Arrival(ApiClient who, String routeKey, long deadline) {}

    private final Access access;
    private final Duration globalTimeout;

    Arrivals(Access access, Duration globalTimeout) {
        this.access = access;
        this.globalTimeout = globalTimeout;
    }

    /** @throws GatewayException unauthorized or forbidden, or a malformed timeout header (bad_request) */
    Arrival of(Context ctx) {
        ApiClient who = access.caller(ctx);
        long deadline = System.currentTimeMillis() + timeout(ctx.header(TIMEOUT_HEADER)).toMillis();
        return new Arrival(who, ctx.header(ROUTE_KEY_HEADER), deadline);
    }

    /** The {@code Katamari-Timeout-Ms} header, capped by the global timeout. */
    private Duration timeout(String header) {
        if (header == null) {
            return globalTimeout;
        }
        long ms;
        try {
            ms = Long.parseLong(header.trim());
        } catch (NumberFormatException e) {
            throw new GatewayException(ErrorCode.BAD_REQUEST, TIMEOUT_HEADER + " must be a whole number of milliseconds, was '" + header + "'");
        }
        if (ms <= 0) {
            throw new GatewayException(ErrorCode.BAD_REQUEST, TIMEOUT_HEADER + " must be positive, was " + ms);
        }
        return ms < globalTimeout.toMillis() ? Duration.ofMillis(ms) : globalTimeout;
    }
}
