package katamari.topics;

/** The topic names of DESIGN.md; the only place that knows how they are spelled. */
public final class TopicNames {
    public static final String REQUESTS_PREFIX = "katamari.requests.";
    public static final String REPLIES_PREFIX = "katamari.replies.";
    public static final String DEAD_PREFIX = "katamari.dead.";
    /**
     * Cancels, for the whole cluster (not one per pool-version): key the request's id, value ignored. One topic
     * because a canceller knows an id, not always where it was routed (a Kafka-direct client, a gateway's hedge
     * copy); because every agent then follows one topic with one consumer however many pool-versions it runs; and
     * because cancels are few next to requests, so reading the others' costs an agent little. One partition.
     */
    public static final String CANCELS = "katamari.cancels";

    private TopicNames() {}

    public static String requests(String pool, String version) {
        return REQUESTS_PREFIX + Names.requireValid("pool", pool) + "." + Names.requireValid("version", version);
    }

    public static String dead(String pool, String version) {
        return DEAD_PREFIX + Names.requireValid("pool", pool) + "." + Names.requireValid("version", version);
    }

    /** {@link #CANCELS}: where a request's caller says it no longer wants the answer (docs/design.md, "Cancellation"). */
    public static String cancels() {
        return CANCELS;
    }

    public static String replies(String gatewayId) {
        return REPLIES_PREFIX + Names.requireValid("gateway id", gatewayId);
    }

    /** The share group that consumes one pool-version's request topic. */
    public static String shareGroup(String pool, String version) {
        return "katamari." + Names.requireValid("pool", pool) + "." + Names.requireValid("version", version);
    }
}
