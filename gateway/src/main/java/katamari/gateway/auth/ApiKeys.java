package katamari.gateway.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import katamari.config.ApiKey;
import katamari.config.GatewaySettings;

/**
 * The gateway's API keys ({@code gateway.apiKeys}). Keys are looked up by their SHA-256 digest, so no comparison
 * ever runs over the secret itself (no timing leak about how much of a guess was right), and the keys are kept
 * nowhere else in the gateway: logs, stats and errors only ever see a key's name.
 */
public final class ApiKeys {
    private final boolean open;
    private final Map<String, ApiClient> byDigest = new HashMap<>();

    private ApiKeys(boolean open, Map<String, ApiKey> keys) {
        this.open = open;
        keys.forEach((name, key) -> byDigest.put(digest(key.key()), new ApiClient(name, key)));
    }

    /** @throws IllegalStateException when there are no keys and the gateway is not explicitly open */
    public static ApiKeys of(GatewaySettings settings) {
        if (settings.apiKeys().isEmpty() && !settings.open()) {
            throw new IllegalStateException("the gateway needs API keys: set gateway.apiKeys (each key best through "
                    + "KATAMARI_GATEWAY_API_KEYS_<NAME>_KEY); gateway.open: true serves every pool without one, for dev only");
        }
        return new ApiKeys(settings.apiKeys().isEmpty(), settings.apiKeys());
    }

    /** True when every pool is served without a key. */
    public boolean open() {
        return open;
    }

    /**
     * @param authorization the {@code Authorization} header ({@code Bearer <key>}), or null
     * @return the caller, or empty when the key is missing or unknown (always {@link ApiClient#OPEN} when open)
     */
    public Optional<ApiClient> authenticate(String authorization) {
        if (open) {
            return Optional.of(ApiClient.OPEN);
        }
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return Optional.empty();
        }
        return Optional.ofNullable(byDigest.get(digest(authorization.substring(7).trim())));
    }

    private static String digest(String key) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
            return java.util.HexFormat.of().formatHex(d);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    }
}
