package katamari.topics;

/** Record header names (values are UTF-8 strings). */
public final class HeaderNames {
    /**
     * Correlation id; required when a reply is wanted. A gateway's hedge copy of a request carries {@code <id>.hedge}
     * (docs/design.md, "Hedged requests"), and copy i of a majority request {@code <id>.q<i>} (with {@link #COPY}): to
     * agents each runs as a request of its own (copies of one request go to distinct instances where they can).
     */
    public static final String ID = "katamari-id";
    /** Topic for the reply; absent means fire-and-forget. */
    public static final String REPLY_TO = "katamari-reply-to";
    /** Epoch milliseconds; absent means the pool's default timeout. */
    public static final String DEADLINE = "katamari-deadline";
    /** Set by the gateway when the client pinned a version; informational. */
    public static final String VERSION_PIN = "katamari-version-pin";
    /**
     * {@code <i>/<n>} on copy i of a gateway's majority request of n copies, whose id is {@code <id>.q<i>}: agents
     * run the copies of one request on distinct instances where they can (docs/design.md, "Majority requests").
     */
    public static final String COPY = "katamari-copy";

    public static final String POOL = "katamari-pool";
    public static final String VERSION = "katamari-version";
    public static final String INSTANCE = "katamari-instance";

    /** Dead-letter headers: why the request could not be answered normally. */
    public static final String FAILURE_REASON = "katamari-failure-reason";
    public static final String FAILURE_ATTEMPTS = "katamari-failure-attempts";
    public static final String FAILURE_STDERR_TAIL = "katamari-failure-stderr-tail";

    private HeaderNames() {}
}
