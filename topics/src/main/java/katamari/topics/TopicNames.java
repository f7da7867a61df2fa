package katamari.topics;

/** The topic names of DESIGN.md; the only place that knows how they are spelled. */
public final class TopicNames {
    public static final String REQUESTS_PREFIX = "katamari.requests.";
    public static final String REPLIES_PREFIX = "katamari.replies.";
    public static final String DEAD_PREFIX = "katamari.dead.";

    private TopicNames() {}

    public static String requests(String pool, String version) {
        return REQUESTS_PREFIX + Names.requireValid("pool", pool) + "." + Names.requireValid("version", version);
    }

    public static String dead(String pool, String version) {
        return DEAD_PREFIX + Names.requireValid("pool", pool) + "." + Names.requireValid("version", version);
    }

    public static String replies(String gatewayId) {
        return REPLIES_PREFIX + Names.requireValid("gateway id", gatewayId);
    }

    /** The share group that consumes one pool-version's request topic. */
    public static String shareGroup(String pool, String version) {
        return "katamari." + Names.requireValid("pool", pool) + "." + Names.requireValid("version", version);
    }
}
