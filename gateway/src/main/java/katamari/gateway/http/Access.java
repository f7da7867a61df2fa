package katamari.gateway.http;

import katamari.gateway.GatewayException;
import katamari.gateway.auth.ApiClient;
import katamari.gateway.auth.ApiKeys;
import katamari.topics.ErrorCode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Who may use the routes that need a key: the caller behind {@code Authorization: Bearer <key>}, or 401. */
final class Access {
    private static final Logger LOG = LoggerFactory.getLogger(Access.class);
    private final ApiKeys keys;

    Access(ApiKeys keys) {
        this.keys = keys;
    }

    /** @throws GatewayException {@code unauthorized} when the key is missing or unknown (the key itself is never echoed) */
    ApiClient caller(Incoming request) {
        String authorization = request.header("Authorization");
        return keys.authenticate(authorization).orElseThrow(() -> {
            String why = authorization == null ? "no API key" : "unknown API key";
            LOG.info("refused {}: {}", request.describe(), why); // never the key itself
            return new GatewayException(ErrorCode.UNAUTHORIZED,
                    authorization == null ? "this gateway needs an API key: Authorization: Bearer <key>" : "unknown API key");
        });
    }

    /** @throws GatewayException {@code forbidden} unless the caller may call every pool */
    ApiClient everyPool(Incoming request) {
        ApiClient who = caller(request);
        if (!who.mayCallEveryPool()) {
            throw new GatewayException(ErrorCode.FORBIDDEN, "API key '" + who.name() + "' may not read every pool's metrics; use GET /stats");
        }
        return who;
    }
}
