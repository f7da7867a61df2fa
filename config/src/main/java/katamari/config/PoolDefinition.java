package katamari.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import katamari.topics.Names;

/**
 * One pool-version and how to run it.
 *
 * @param command  an argv array, never passed through a shell
 * @param timeout  the default deadline of a request that carries none
 * @param attempts how many times a request may be handed to an instance that then crashes
 * @param maxRssMb   an instance whose resident memory exceeds this is killed and restarted (null: no limit)
 * @param maxRequests an instance is recycled after this many requests (null: never)
 * @param env        variables set for every instance
 * @param inheritEnv names of the agent's variables an instance also sees (default: PATH); nothing else of the
 *                   agent's environment reaches an instance besides {@code KATAMARI_POOL/VERSION/INSTANCE}
 * @param weight     share of the pool's unpinned requests (relative to its sibling versions; 0 = only pinned
 *                   requests) this version starts with; null = 1. In a cluster the masters own the weight afterwards
 *                   (admin API), so it is only read when a pool-version is first loaded from the config file.
 * @param prefetch   how many records per instance an agent may take from Kafka in one fetch (null = 1). More
 *                   lets short requests flow at a higher rate (fewer round trips to the broker per request); the
 *                   price is that records an agent took wait for its instances while another agent may be idle, so
 *                   keep 1 for pools whose requests take long (docs/configuration.md).
 * @param pipeline   true: the agent writes an instance its next call while the current one runs, so the instance
 *                   starts it without waiting for the agent (null = false). For short, even requests; a call
 *                   written ahead waits behind the one running, and the chassis must keep a call that arrives
 *                   during a nested call for later, as the bundled libraries do (docs/configuration.md).
 * @param hedgeAfter the gateway sends one more copy of a request that has no reply after this long (null: no
 *                   hedging unless the caller asks, {@code Katamari-Hedge-Ms}); shorter than {@code timeout}
 * @param hedgeMaxPercent hedges at most this share (1-100 %) of the pool-version's calls at one gateway (null = 10),
 *                   so that a pool that is slow for everyone is not sent every request twice
 * @param cache      method → how long its successful answers may be reused (1s-24h each; empty: nothing is cached).
 *                   The answers live in the cluster's response cache (docs/design.md, "Response cache"); whether the
 *                   chassis declares each method is checked by the agent at every instance's hello, not here
 * @param cacheMaxEntries at most about this many cached answers of this pool-version per dispatcher (500-10,000,000;
 *                   null = 10,000); Hazelcast enforces it per partition, so a map may hold somewhat fewer
 * @param autoscale  the masters grow and shrink {@code instances} with the load, within these bounds (null: the count is
 *                   fixed); {@code instances} is then where it starts, which the master brings within {@code min..max}
 *                   (not this record: a worker's copy carries its own share of the count, which may be below {@code min})
 * @param cancelRunning true: a cancelled request that an instance is already running is stopped by killing and
 *                   restarting the instance, as at a deadline (null = false: it runs to its end and its answer is
 *                   dropped). Only for handlers that are safe to kill half-way (docs/design.md, "Cancellation")
 */
public record PoolDefinition(
        String name,
        String version,
        List<String> command,
        Integer instances,
        @JsonSerialize(using = DurationCodec.Writer.class) @JsonDeserialize(using = DurationCodec.Reader.class) Duration timeout,
        Integer attempts,
        Integer maxRssMb,
        Integer maxRequests,
        Map<String, String> env,
        List<String> inheritEnv,
        @JsonInclude(JsonInclude.Include.NON_NULL) Integer weight,
        @JsonInclude(JsonInclude.Include.NON_NULL) Integer prefetch,
        @JsonInclude(JsonInclude.Include.NON_NULL) Boolean pipeline,
        @JsonInclude(JsonInclude.Include.NON_NULL)
        @JsonSerialize(using = DurationCodec.Writer.class) @JsonDeserialize(using = DurationCodec.Reader.class) Duration hedgeAfter,
        @JsonInclude(JsonInclude.Include.NON_NULL) Integer hedgeMaxPercent,
        @JsonInclude(JsonInclude.Include.NON_EMPTY)
        @JsonSerialize(using = CacheTimes.Writer.class) @JsonDeserialize(using = CacheTimes.Reader.class) Map<String, Duration> cache,
        @JsonInclude(JsonInclude.Include.NON_NULL) Integer cacheMaxEntries,
        @JsonInclude(JsonInclude.Include.NON_NULL) Autoscale autoscale,
        @JsonInclude(JsonInclude.Include.NON_NULL) Boolean cancelRunning) {

    public static final int MAX_WEIGHT = 1_000_000;
    public static final int MAX_PREFETCH = 64;
    public static final int DEFAULT_HEDGE_MAX_PERCENT = 10;
    public static final Duration MIN_CACHE_TIME = Duration.ofSeconds(1);
    public static final Duration MAX_CACHE_TIME = Duration.ofHours(24);
    /** Below about 271 (Hazelcast's partition count) a per-member bound would allow less than one entry per partition. */
    public static final int MIN_CACHE_ENTRIES = 500;
    public static final int MAX_CACHE_ENTRIES = 10_000_000;
    public static final int DEFAULT_CACHE_ENTRIES = 10_000;

    public PoolDefinition {
        Names.requireValid("pool", name);
        Names.requireValid("version", version);
        if (command == null || command.isEmpty() || command.stream().anyMatch(a -> a == null || a.isEmpty())) {
            throw new IllegalArgumentException("pool " + name + "/" + version + ": command must be a non-empty argv array of non-empty strings");
        }
        instances = instances == null ? 1 : instances;
        if (instances < 0 || instances > 1024) {
            throw new IllegalArgumentException("pool " + name + "/" + version + ": instances must be 0-1024, was " + instances);
        }
        timeout = timeout == null ? Duration.ofSeconds(30) : timeout;
        if (timeout.isZero() || timeout.isNegative()) {
            throw new IllegalArgumentException("pool " + name + "/" + version + ": timeout must be positive");
        }
        attempts = attempts == null ? 2 : attempts;
        if (attempts < 1) {
            throw new IllegalArgumentException("pool " + name + "/" + version + ": attempts must be at least 1, was " + attempts);
        }
        if (maxRssMb != null && maxRssMb < 1) {
            throw new IllegalArgumentException("pool " + name + "/" + version + ": maxRssMb must be positive, was " + maxRssMb);
        }
        if (maxRequests != null && maxRequests < 1) {
            throw new IllegalArgumentException("pool " + name + "/" + version + ": maxRequests must be positive, was " + maxRequests);
        }
        command = List.copyOf(command);
        env = env == null ? Map.of() : Map.copyOf(env);
        inheritEnv = inheritEnv == null ? List.of("PATH") : List.copyOf(inheritEnv);
        if (weight != null && (weight < 0 || weight > MAX_WEIGHT)) {
            throw new IllegalArgumentException("pool " + name + "/" + version + ": weight must be 0-" + MAX_WEIGHT + ", was " + weight);
        }
        if (prefetch != null && (prefetch < 1 || prefetch > MAX_PREFETCH)) {
            throw new IllegalArgumentException("pool " + name + "/" + version + ": prefetch must be 1-" + MAX_PREFETCH + ", was " + prefetch);
        }
        if (hedgeAfter != null && (hedgeAfter.isZero() || hedgeAfter.isNegative() || hedgeAfter.compareTo(timeout) >= 0)) {
            throw new IllegalArgumentException("pool " + name + "/" + version + ": hedgeAfter must be positive and shorter than the timeout ("
                    + Durations.format(timeout) + "), was " + Durations.format(hedgeAfter));
        }
        if (hedgeMaxPercent != null && (hedgeMaxPercent < 1 || hedgeMaxPercent > 100)) {
            throw new IllegalArgumentException("pool " + name + "/" + version + ": hedgeMaxPercent must be 1-100, was " + hedgeMaxPercent);
        }
        // sorted, so every JVM iterates (and digests, see the response cache's map names) it in one order
        cache = cache == null ? Map.of() : java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(cache));
        for (Map.Entry<String, Duration> c : cache.entrySet()) {
            if (c.getKey().isBlank() || c.getValue() == null || c.getValue().compareTo(MIN_CACHE_TIME) < 0 || c.getValue().compareTo(MAX_CACHE_TIME) > 0) {
                throw new IllegalArgumentException("pool " + name + "/" + version + ": cache." + c.getKey() + " must be a duration of "
                        + Durations.format(MIN_CACHE_TIME) + " to " + Durations.format(MAX_CACHE_TIME) + ", was "
                        + (c.getValue() == null ? "empty" : Durations.format(c.getValue())));
            }
        }
        if (cacheMaxEntries != null && (cacheMaxEntries < MIN_CACHE_ENTRIES || cacheMaxEntries > MAX_CACHE_ENTRIES)) {
            throw new IllegalArgumentException("pool " + name + "/" + version + ": cacheMaxEntries must be " + MIN_CACHE_ENTRIES + "-"
                    + MAX_CACHE_ENTRIES + ", was " + cacheMaxEntries);
        }
    }

    /** Without cancelRunning (a cancelled request that has started runs to its end). */
    public PoolDefinition(String name, String version, List<String> command, Integer instances, Duration timeout, Integer attempts,
                          Integer maxRssMb, Integer maxRequests, Map<String, String> env, List<String> inheritEnv, Integer weight,
                          Integer prefetch, Boolean pipeline, Duration hedgeAfter, Integer hedgeMaxPercent, Map<String, Duration> cache,
                          Integer cacheMaxEntries, Autoscale autoscale) {
        this(name, version, command, instances, timeout, attempts, maxRssMb, maxRequests, env, inheritEnv, weight, prefetch, pipeline,
                hedgeAfter, hedgeMaxPercent, cache, cacheMaxEntries, autoscale, null);
    }

    /** Without a response cache and without autoscaling (a fixed count). */
    public PoolDefinition(String name, String version, List<String> command, Integer instances, Duration timeout, Integer attempts,
                          Integer maxRssMb, Integer maxRequests, Map<String, String> env, List<String> inheritEnv, Integer weight,
                          Integer prefetch, Boolean pipeline, Duration hedgeAfter, Integer hedgeMaxPercent) {
        this(name, version, command, instances, timeout, attempts, maxRssMb, maxRequests, env, inheritEnv, weight, prefetch, pipeline,
                hedgeAfter, hedgeMaxPercent, null, null, null);
    }

    /** Without hedging defaults (no pool-wide hedge; 10 % cap). */
    public PoolDefinition(String name, String version, List<String> command, Integer instances, Duration timeout, Integer attempts,
                          Integer maxRssMb, Integer maxRequests, Map<String, String> env, List<String> inheritEnv, Integer weight,
                          Integer prefetch, Boolean pipeline) {
        this(name, version, command, instances, timeout, attempts, maxRssMb, maxRequests, env, inheritEnv, weight, prefetch, pipeline, null, null,
                null, null, null);
    }

    /** Without pipelining (off by default). */
    public PoolDefinition(String name, String version, List<String> command, Integer instances, Duration timeout, Integer attempts,
                          Integer maxRssMb, Integer maxRequests, Map<String, String> env, List<String> inheritEnv, Integer weight,
                          Integer prefetch) {
        this(name, version, command, instances, timeout, attempts, maxRssMb, maxRequests, env, inheritEnv, weight, prefetch, null);
    }

    /** Without a prefetch (it defaults to 1). */
    public PoolDefinition(String name, String version, List<String> command, Integer instances, Duration timeout, Integer attempts,
                          Integer maxRssMb, Integer maxRequests, Map<String, String> env, List<String> inheritEnv, Integer weight) {
        this(name, version, command, instances, timeout, attempts, maxRssMb, maxRequests, env, inheritEnv, weight, null, null);
    }

    /** Without a weight (it defaults to 1). */
    public PoolDefinition(String name, String version, List<String> command, Integer instances, Duration timeout, Integer attempts,
                          Integer maxRssMb, Integer maxRequests, Map<String, String> env, List<String> inheritEnv) {
        this(name, version, command, instances, timeout, attempts, maxRssMb, maxRequests, env, inheritEnv, null, null, null);
    }

    /** Records per instance an agent takes in one fetch: {@code prefetch}, or 1 when unset. */
    public int prefetchPerInstance() {
        return prefetch == null ? 1 : prefetch;
    }

    /** Whether an instance may be written its next call before it answered the current one ({@code pipeline}). */
    public boolean pipelines() {
        return Boolean.TRUE.equals(pipeline);
    }

    /** Whether a cancelled request that has started is stopped (its instance killed and restarted): {@code cancelRunning}. */
    public boolean cancelsRunning() {
        return Boolean.TRUE.equals(cancelRunning);
    }

    /** The share of calls (percent) this pool-version's gateway may hedge: {@code hedgeMaxPercent}, or 10. */
    public int hedgeCapPercent() {
        return hedgeMaxPercent == null ? DEFAULT_HEDGE_MAX_PERCENT : hedgeMaxPercent;
    }

    /** The weight to route by: {@code weight}, or 1 when unset. */
    public int routingWeight() {
        return weight == null ? 1 : weight;
    }

    /** {@code name/version} running {@code command}, everything else at its default (one instance, 30 s, 2 attempts). */
    public static PoolDefinition of(String name, String version, List<String> command) {
        return new PoolDefinition(name, version, command, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null);
    }

    public PoolDefinition withCommand(List<String> newCommand) {
        return new PoolDefinition(name, version, newCommand, instances, timeout, attempts, maxRssMb, maxRequests, env, inheritEnv, weight, prefetch, pipeline, hedgeAfter, hedgeMaxPercent, cache, cacheMaxEntries, autoscale, cancelRunning);
    }

    public PoolDefinition withInstances(int newInstances) {
        return new PoolDefinition(name, version, command, newInstances, timeout, attempts, maxRssMb, maxRequests, env, inheritEnv, weight, prefetch, pipeline, hedgeAfter, hedgeMaxPercent, cache, cacheMaxEntries, autoscale, cancelRunning);
    }

    public PoolDefinition withTimeout(Duration newTimeout) {
        return new PoolDefinition(name, version, command, instances, newTimeout, attempts, maxRssMb, maxRequests, env, inheritEnv, weight, prefetch, pipeline, hedgeAfter, hedgeMaxPercent, cache, cacheMaxEntries, autoscale, cancelRunning);
    }

    public PoolDefinition withAttempts(int newAttempts) {
        return new PoolDefinition(name, version, command, instances, timeout, newAttempts, maxRssMb, maxRequests, env, inheritEnv, weight, prefetch, pipeline, hedgeAfter, hedgeMaxPercent, cache, cacheMaxEntries, autoscale, cancelRunning);
    }

    public PoolDefinition withMaxRssMb(Integer newMaxRssMb) {
        return new PoolDefinition(name, version, command, instances, timeout, attempts, newMaxRssMb, maxRequests, env, inheritEnv, weight, prefetch, pipeline, hedgeAfter, hedgeMaxPercent, cache, cacheMaxEntries, autoscale, cancelRunning);
    }

    public PoolDefinition withMaxRequests(Integer newMaxRequests) {
        return new PoolDefinition(name, version, command, instances, timeout, attempts, maxRssMb, newMaxRequests, env, inheritEnv, weight, prefetch, pipeline, hedgeAfter, hedgeMaxPercent, cache, cacheMaxEntries, autoscale, cancelRunning);
    }

    public PoolDefinition withEnv(Map<String, String> newEnv) {
        return new PoolDefinition(name, version, command, instances, timeout, attempts, maxRssMb, maxRequests, newEnv, inheritEnv, weight, prefetch, pipeline, hedgeAfter, hedgeMaxPercent, cache, cacheMaxEntries, autoscale, cancelRunning);
    }

    public PoolDefinition withInheritEnv(List<String> newInheritEnv) {
        return new PoolDefinition(name, version, command, instances, timeout, attempts, maxRssMb, maxRequests, env, newInheritEnv, weight, prefetch, pipeline, hedgeAfter, hedgeMaxPercent, cache, cacheMaxEntries, autoscale, cancelRunning);
    }

    public PoolDefinition withPrefetch(Integer newPrefetch) {
        return new PoolDefinition(name, version, command, instances, timeout, attempts, maxRssMb, maxRequests, env, inheritEnv, weight, newPrefetch, pipeline, hedgeAfter, hedgeMaxPercent, cache, cacheMaxEntries, autoscale, cancelRunning);
    }

    public PoolDefinition withPipeline(boolean newPipeline) {
        return new PoolDefinition(name, version, command, instances, timeout, attempts, maxRssMb, maxRequests, env, inheritEnv, weight, prefetch, newPipeline, hedgeAfter, hedgeMaxPercent, cache, cacheMaxEntries, autoscale, cancelRunning);
    }

    public PoolDefinition withWeight(Integer newWeight) {
        return new PoolDefinition(name, version, command, instances, timeout, attempts, maxRssMb, maxRequests, env, inheritEnv, newWeight, prefetch, pipeline, hedgeAfter, hedgeMaxPercent, cache, cacheMaxEntries, autoscale, cancelRunning);
    }

    public PoolDefinition withVersion(String newVersion) {
        return new PoolDefinition(name, newVersion, command, instances, timeout, attempts, maxRssMb, maxRequests, env, inheritEnv, weight, prefetch, pipeline, hedgeAfter, hedgeMaxPercent, cache, cacheMaxEntries, autoscale, cancelRunning);
    }

    public PoolDefinition withHedge(Duration newHedgeAfter, Integer newHedgeMaxPercent) {
        return new PoolDefinition(name, version, command, instances, timeout, attempts, maxRssMb, maxRequests, env, inheritEnv, weight, prefetch, pipeline, newHedgeAfter, newHedgeMaxPercent, cache, cacheMaxEntries, autoscale, cancelRunning);
    }

    /** Answers of {@code method} may be reused for {@code ttl} (absent from {@code cache}: never); a bound of null = 10,000. */
    public PoolDefinition withCache(Map<String, Duration> newCache, Integer newCacheMaxEntries) {
        return new PoolDefinition(name, version, command, instances, timeout, attempts, maxRssMb, maxRequests, env, inheritEnv, weight, prefetch, pipeline, hedgeAfter, hedgeMaxPercent, newCache, newCacheMaxEntries, autoscale, cancelRunning);
    }

    /** How long answers of {@code method} may be reused, or null when they are not cached. */
    public Duration cacheTime(String method) {
        return cache.get(method);
    }

    /** The response cache's bound on this pool-version's entries: {@code cacheMaxEntries}, or 10,000. */
    public int cacheBound() {
        return cacheMaxEntries == null ? DEFAULT_CACHE_ENTRIES : cacheMaxEntries;
    }

    public PoolDefinition withAutoscale(Autoscale newAutoscale) {
        return new PoolDefinition(name, version, command, instances, timeout, attempts, maxRssMb, maxRequests, env, inheritEnv, weight, prefetch, pipeline, hedgeAfter, hedgeMaxPercent, cache, cacheMaxEntries, newAutoscale, cancelRunning);
    }

    public PoolDefinition withCancelRunning(boolean newCancelRunning) {
        return new PoolDefinition(name, version, command, instances, timeout, attempts, maxRssMb, maxRequests, env, inheritEnv, weight, prefetch, pipeline, hedgeAfter, hedgeMaxPercent, cache, cacheMaxEntries, autoscale, newCancelRunning);
    }

    public String key() {
        return name + "/" + version;
    }
}
