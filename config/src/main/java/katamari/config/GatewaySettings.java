package katamari.config;

import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import katamari.topics.Names;

/**
 * @param id              names the gateway's reply topic; null means a random one at each start
 * @param timeout         the global ceiling for any request; {@code Katamari-Timeout-Ms} may only shorten it
 * @param maxPending      most requests this gateway keeps waiting for replies per pool-version; past it a call is
 *                        answered {@code overloaded} (503, Retry-After) at once instead of queueing without bound
 * @param maxJsonDepth    deepest nesting of arrays and objects a request body may have (400 beyond)
 * @param maxStringLength longest string (value or field name) in a request body, in characters (400 beyond)
 * @param maxBatch        most calls in one JSON-RPC batch
 * @param maxQuorum       most copies a majority request may ask for ({@code Katamari-Quorum}); odd, at least 1
 * @param apiKeys         name → key; a gateway with none refuses to start unless {@code open}
 * @param open            serve every pool without a key (dev only; said loudly at start)
 */
public record GatewaySettings(
        String host,
        int port,
        String id,
        @JsonSerialize(using = DurationCodec.Writer.class) @JsonDeserialize(using = DurationCodec.Reader.class) Duration timeout,
        int maxBodyBytes,
        int maxPending,
        int maxJsonDepth,
        int maxStringLength,
        int maxBatch,
        int maxQuorum,
        Map<String, ApiKey> apiKeys,
        boolean open) {

    public static final int DEFAULT_MAX_PENDING = 1000;
    public static final int DEFAULT_MAX_JSON_DEPTH = 64;
    public static final int DEFAULT_MAX_STRING_LENGTH = 256 * 1024;
    public static final int DEFAULT_MAX_BATCH = 100;
    /** Five copies outvote two wrong answers; more cost more instances per call than any pool here has to spare. */
    public static final int DEFAULT_MAX_QUORUM = 5;

    public GatewaySettings {
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("gateway.host must be set (127.0.0.1 to stay on this machine)");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("gateway.port must be 0-65535, was " + port);
        }
        if (id != null) {
            Names.requireValid("gateway id", id);
        }
        if (timeout == null || timeout.isZero() || timeout.isNegative()) {
            throw new IllegalArgumentException("gateway.timeout must be positive");
        }
        positive("maxBodyBytes", maxBodyBytes);
        positive("maxPending", maxPending);
        positive("maxJsonDepth", maxJsonDepth);
        positive("maxStringLength", maxStringLength);
        positive("maxBatch", maxBatch);
        positive("maxQuorum", maxQuorum);
        if (maxQuorum % 2 == 0) {
            throw new IllegalArgumentException("gateway.maxQuorum must be odd (a majority of an even number can tie), was " + maxQuorum);
        }
        apiKeys = apiKeys == null ? Map.of() : Map.copyOf(new TreeMap<>(apiKeys));
        Set<String> secrets = new HashSet<>();
        for (Map.Entry<String, ApiKey> k : apiKeys.entrySet()) {
            if (k.getValue() == null) {
                throw new IllegalArgumentException("gateway.apiKeys." + k.getKey() + " needs a key");
            }
            if (!secrets.add(k.getValue().key())) {
                throw new IllegalArgumentException("gateway.apiKeys." + k.getKey() + " has the same key as another entry");
            }
        }
    }

    /** The settings before limits, keys and backpressure existed; those get their defaults (and no keys, not open). */
    public GatewaySettings(String host, int port, String id, Duration timeout, int maxBodyBytes) {
        this(host, port, id, timeout, maxBodyBytes, DEFAULT_MAX_PENDING, DEFAULT_MAX_JSON_DEPTH, DEFAULT_MAX_STRING_LENGTH,
                DEFAULT_MAX_BATCH, DEFAULT_MAX_QUORUM, Map.of(), false);
    }

    private static void positive(String name, int value) {
        if (value < 1) {
            throw new IllegalArgumentException("gateway." + name + " must be positive, was " + value);
        }
    }

    public static GatewaySettings defaults() {
        return new GatewaySettings("127.0.0.1", 8080, null, Duration.ofSeconds(30), 1024 * 1024);
    }

    public GatewaySettings withHost(String newHost) {
        return new GatewaySettings(newHost, port, id, timeout, maxBodyBytes, maxPending, maxJsonDepth, maxStringLength, maxBatch,
                maxQuorum, apiKeys, open);
    }

    public GatewaySettings withId(String newId) {
        return new GatewaySettings(host, port, newId, timeout, maxBodyBytes, maxPending, maxJsonDepth, maxStringLength, maxBatch,
                maxQuorum, apiKeys, open);
    }

    public GatewaySettings withTimeout(Duration newTimeout) {
        return new GatewaySettings(host, port, id, newTimeout, maxBodyBytes, maxPending, maxJsonDepth, maxStringLength, maxBatch,
                maxQuorum, apiKeys, open);
    }

    public GatewaySettings withMaxBodyBytes(int newMaxBodyBytes) {
        return new GatewaySettings(host, port, id, timeout, newMaxBodyBytes, maxPending, maxJsonDepth, maxStringLength, maxBatch,
                maxQuorum, apiKeys, open);
    }

    public GatewaySettings withMaxBatch(int newMaxBatch) {
        return new GatewaySettings(host, port, id, timeout, maxBodyBytes, maxPending, maxJsonDepth, maxStringLength, newMaxBatch,
                maxQuorum, apiKeys, open);
    }

    public GatewaySettings withMaxQuorum(int newMaxQuorum) {
        return new GatewaySettings(host, port, id, timeout, maxBodyBytes, maxPending, maxJsonDepth, maxStringLength, maxBatch,
                newMaxQuorum, apiKeys, open);
    }

    public GatewaySettings withPort(int newPort) {
        return new GatewaySettings(host, newPort, id, timeout, maxBodyBytes, maxPending, maxJsonDepth, maxStringLength, maxBatch, maxQuorum, apiKeys, open);
    }

    public GatewaySettings withMaxPending(int newMaxPending) {
        return new GatewaySettings(host, port, id, timeout, maxBodyBytes, newMaxPending, maxJsonDepth, maxStringLength, maxBatch, maxQuorum, apiKeys, open);
    }

    public GatewaySettings withLimits(int newMaxJsonDepth, int newMaxStringLength) {
        return new GatewaySettings(host, port, id, timeout, maxBodyBytes, maxPending, newMaxJsonDepth, newMaxStringLength, maxBatch, maxQuorum, apiKeys, open);
    }

    public GatewaySettings withApiKeys(Map<String, ApiKey> keys) {
        return new GatewaySettings(host, port, id, timeout, maxBodyBytes, maxPending, maxJsonDepth, maxStringLength, maxBatch, maxQuorum, keys, open);
    }

    public GatewaySettings withOpen(boolean newOpen) {
        return new GatewaySettings(host, port, id, timeout, maxBodyBytes, maxPending, maxJsonDepth, maxStringLength, maxBatch, maxQuorum, apiKeys, newOpen);
    }

    /** Everything but the keys, for logs. */
    @Override
    public String toString() {
        return "GatewaySettings[" + host + ":" + port + ", id=" + id + ", timeout=" + timeout + ", maxBodyBytes=" + maxBodyBytes
                + ", maxPending=" + maxPending + ", maxJsonDepth=" + maxJsonDepth + ", maxStringLength=" + maxStringLength
                + ", maxBatch=" + maxBatch + ", maxQuorum=" + maxQuorum + ", apiKeys=" + apiKeys.keySet() + (open ? " (OPEN)" : "") + "]";
    }
}
