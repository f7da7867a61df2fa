package katamari.cluster;

import java.util.Map;

/**
 * A gateway's heartbeat: the master deletes {@code replyTopic} once the gateway has been silent for the gateway TTL.
 *
 * @param traffic {@code pool/version} → what this gateway has seen of it since it started; the admin API adds these
 *                up over the live gateways, and a rollout watches a new version's failures through them
 */
public record GatewayBeat(String id, String replyTopic, String url, long sentAt, Map<String, Traffic> traffic) {
    /**
     * Cumulative counts of one gateway for one pool-version.
     *
     * @param requests calls routed to it (answered, timed out or refused as overloaded)
     * @param failures calls that ended in {@code handler_error}, {@code instance_crashed}, {@code timeout} or
     *                 {@code internal}: the version's fault, not the client's
     * @param pending  calls waiting for a reply right now
     */
    public record Traffic(long requests, long failures, int pending) {
        public Traffic plus(Traffic o) {
            return new Traffic(requests + o.requests, failures + o.failures, pending + o.pending);
        }
    }

    public GatewayBeat {
        traffic = traffic == null ? Map.of() : Map.copyOf(traffic);
    }

    public GatewayBeat(String id, String replyTopic, String url, long sentAt) {
        this(id, replyTopic, url, sentAt, Map.of());
    }
}
