package katamari.config;

import java.util.List;

/**
 * One gateway API key: the secret a client presents as {@code Authorization: Bearer <key>}, and the pools it may call.
 * Keys are named in the config ({@code gateway.apiKeys.<name>}); the name, never the key, is what logs and stats show.
 *
 * @param key   the secret; set it through {@code KATAMARI_GATEWAY_API_KEYS_<NAME>_KEY} rather than in the file
 * @param pools the pools this key may call; {@code ["*"]} (or absent) means every pool
 */
public record ApiKey(String key, List<String> pools) {
    public static final String ALL = "*";

    public ApiKey {
        if (key == null || key.isBlank()) {
            throw new IllegalArgumentException("an API key must not be empty: set gateway.apiKeys.<name>.key, best through "
                    + "KATAMARI_GATEWAY_API_KEYS_<NAME>_KEY");
        }
        pools = pools == null || pools.isEmpty() ? List.of(ALL) : List.copyOf(pools);
    }

    public boolean allowsEveryPool() {
        return pools.contains(ALL);
    }

    public boolean allows(String pool) {
        return allowsEveryPool() || pools.contains(pool);
    }

    /** Never the key itself: records print their components, and this one must not reach a log. */
    @Override
    public String toString() {
        return "ApiKey[key=(hidden), pools=" + pools + "]";
    }
}
