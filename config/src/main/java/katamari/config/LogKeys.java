package katamari.config;

/**
 * The MDC keys Katamari's code sets for its log records (JSON logs show them as fields; {@code KATAMARI_LOG_FORMAT},
 * docs/configuration.md). Set them only around work that belongs to one pool-version, instance or request, and
 * remove them after: threads are pooled.
 */
public final class LogKeys {
    public static final String POOL = "pool";
    public static final String VERSION = "version";
    public static final String INSTANCE = "instance";
    public static final String REQUEST_ID = "requestId";

    private LogKeys() {}
}
