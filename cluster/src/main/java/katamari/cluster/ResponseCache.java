package katamari.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.hazelcast.config.EvictionConfig;
import com.hazelcast.config.EvictionPolicy;
import com.hazelcast.config.InMemoryFormat;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.MaxSizePolicy;
import com.hazelcast.config.NearCacheConfig;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import katamari.config.PoolDefinition;
import katamari.topics.CanonicalJson;
import katamari.topics.WireCodec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The response cache: successful answers of the methods a pool-version names in {@code cache}, in one Hazelcast
 * {@code IMap} per pool-version held by the dispatchers (the members), read by gateways through a near cache and
 * written by agents. The one place that names these maps.
 *
 * <p>A map is {@code katamari.cache.<pool>.<version>.<generation>}: the generation is a digest of what makes the
 * version's answers what they are (command, env, inherited variables) and of its cache settings, so a version
 * replaced under the same name starts an empty map and never serves the old definition's answers, and each map's
 * bound ({@code cacheMaxEntries}, a dynamic map config added before its first use) never conflicts with another.
 * The key within it is the method and its arguments in {@link CanonicalJson}. The value is
 * {@code {"until": <epoch ms>, "result": ...}}: the entry's Hazelcast TTL frees the memory, {@code until} is checked on
 * every read, because a near cache learns of a member's expiry only once the member's expiry task ran (seconds late).
 *
 * <p>Nothing here ever fails a call: a lookup that errs or takes longer than {@link #LOOKUP_LIMIT} is a miss, and a
 * store is fire-and-forget.
 */
public final class ResponseCache {
    private static final Logger LOG = LoggerFactory.getLogger(ResponseCache.class);
    static final String PREFIX = "katamari.cache.";
    /** The longest a gateway waits for the cluster before it treats a lookup as a miss (a near-cache hit takes microseconds). */
    public static final Duration LOOKUP_LIMIT = Duration.ofMillis(100);
    /** The bound of a cache map whose own config was not added (every dispatcher restarted under running gateways and agents). */
    static final int FALLBACK_ENTRIES = 100_000;
    /** Entries a gateway's near cache keeps per pool-version map. */
    static final int NEAR_CACHE_ENTRIES = 10_000;

    private final HazelcastInstance hz;
    /** Per pool-version key: the definition the map was opened for, and its map (a redefinition opens another). */
    private final Map<String, Opened> opened = new ConcurrentHashMap<>();

    private record Opened(PoolDefinition definition, IMap<String, String> map) {}

    /** @param hz a member (one box) or a client (gateways, agents) */
    public ResponseCache(HazelcastInstance hz) {
        this.hz = hz;
    }

    /** A cached result of {@code method(args)} on {@code pool}, if one is there and still fresh. */
    public Optional<JsonNode> lookup(PoolDefinition pool, String method, JsonNode args) {
        if (pool.cacheTime(method) == null) {
            return Optional.empty();
        }
        String value;
        try {
            value = map(pool).getAsync(key(method, args)).toCompletableFuture().get(LOOKUP_LIMIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            LOG.debug("cache lookup on {} took over {} ms: a miss", pool.key(), LOOKUP_LIMIT.toMillis());
            return Optional.empty();
        } catch (ExecutionException | RuntimeException e) {
            LOG.debug("cache lookup on {} failed: a miss ({})", pool.key(), e.toString());
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
        if (value == null) {
            return Optional.empty();
        }
        JsonNode entry;
        try {
            entry = WireCodec.parse(value);
        } catch (RuntimeException e) {
            LOG.warn("an unreadable entry in the response cache of {} is a miss: {}", pool.key(), e.getMessage());
            return Optional.empty();
        }
        boolean fresh = entry.has("result") && entry.path("until").asLong() > System.currentTimeMillis();
        return fresh ? Optional.of(entry.get("result")) : Optional.empty();
    }

    /** Stores a successful result of {@code method(args)} for the method's cache time; nothing if it is not cached. */
    public void store(PoolDefinition pool, String method, JsonNode args, JsonNode result) {
        Duration ttl = pool.cacheTime(method);
        if (ttl == null) {
            return;
        }
        try {
            ObjectNode entry = WireCodec.mapper().createObjectNode();
            entry.put("until", System.currentTimeMillis() + ttl.toMillis());
            entry.set("result", result);
            String value = new String(WireCodec.write(entry), StandardCharsets.UTF_8);
            map(pool).setAsync(key(method, args), value, ttl.toMillis(), TimeUnit.MILLISECONDS).whenComplete((ok, e) -> {
                if (e != null) {
                    LOG.debug("cache store on {} failed: {}", pool.key(), e.toString());
                }
            });
        } catch (RuntimeException e) {
            LOG.debug("cache store on {} failed: {}", pool.key(), e.toString());
        }
    }

    /** Entries of {@code pool}'s map now (a cluster-wide count: on a client it asks the members), or -1 if unknown. */
    public long entries(PoolDefinition pool) {
        try {
            return map(pool).size();
        } catch (RuntimeException e) {
            LOG.debug("cannot count the cache entries of {}: {}", pool.key(), e.toString());
            return -1;
        }
    }

    static String key(String method, JsonNode args) {
        return method + " " + CanonicalJson.write(args);
    }

    private IMap<String, String> map(PoolDefinition pool) {
        Opened o = opened.get(pool.key());
        if (o != null && o.definition() == pool) {
            return o.map();
        }
        if (o != null && o.definition().equals(pool)) {
            opened.put(pool.key(), new Opened(pool, o.map())); // the pool set was re-read: compare by identity again
            return o.map();
        }
        String name = mapName(pool);
        try {
            hz.getConfig().addMapConfig(mapConfig(name, pool.cacheBound()));
        } catch (RuntimeException e) {
            // e.g. another role added this name with other settings: the map then lives by those
            LOG.warn("cannot add the response cache's config for {}: {}", name, e.toString());
        }
        IMap<String, String> map = hz.getMap(name);
        opened.put(pool.key(), new Opened(pool, map));
        return map;
    }

    /** {@code katamari.cache.<pool>.<version>.<generation>} (see the class comment). */
    static String mapName(PoolDefinition pool) {
        String what = String.join("\u0000", String.join("\u0001", pool.command()), new java.util.TreeMap<>(pool.env()).toString(),
                String.join("\u0001", pool.inheritEnv()), new java.util.TreeMap<>(pool.cache()).toString(), String.valueOf(pool.cacheBound()));
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(what.getBytes(StandardCharsets.UTF_8));
            return PREFIX + pool.name() + "." + pool.version() + "." + HexFormat.of().formatHex(digest, 0, 4);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /**
     * A pool-version's map: at most {@code maxEntries} per member, least recently used out first. Hazelcast applies a
     * per-member bound per partition ({@code maxEntries × members / 271} each), so a map whose keys crowd some
     * partitions holds somewhat fewer.
     */
    static MapConfig mapConfig(String name, int maxEntries) {
        return new MapConfig(name).setBackupCount(0).setAsyncBackupCount(1)
                .setEvictionConfig(new EvictionConfig().setEvictionPolicy(EvictionPolicy.LRU)
                        .setMaxSizePolicy(MaxSizePolicy.PER_NODE).setSize(maxEntries));
    }

    /** Added by every member as it starts: every cache map is bounded even before (or without) its own config. */
    public static MapConfig fallbackConfig() {
        return mapConfig(PREFIX + "*", FALLBACK_ENTRIES);
    }

    /** For a gateway's client: hits on answers this gateway already read are answered from its own memory. */
    public static NearCacheConfig nearCache() {
        return new NearCacheConfig(PREFIX + "*").setInMemoryFormat(InMemoryFormat.OBJECT).setInvalidateOnChange(true)
                .setEvictionConfig(new EvictionConfig().setEvictionPolicy(EvictionPolicy.LRU)
                        .setMaxSizePolicy(MaxSizePolicy.ENTRY_COUNT).setSize(NEAR_CACHE_ENTRIES));
    }
}
