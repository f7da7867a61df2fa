package katamari.gateway.auth;

import katamari.config.ApiKey;

/**
 * Who is calling: the name of the API key presented (never the key), and what it may call. {@link #OPEN} stands for
 * every caller of a gateway that runs without keys.
 */
public record ApiClient(String name, ApiKey key) {
    public static final ApiClient OPEN = new ApiClient("open", null);

    public boolean mayCall(String pool) {
        return key == null || key.allows(pool);
    }

    public boolean mayCallEveryPool() {
        return key == null || key.allowsEveryPool();
    }
}
