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
     * What one gateway saw of one pool-version: cumulative counts since it started, and a few readings of now.
     *
     * @param requests   calls routed to it (answered, timed out or refused as overloaded)
     * @param failures   calls that ended in {@code handler_error}, {@code instance_crashed}, {@code timeout} or
     *                   {@code internal}: the version's fault, not the client's
     * @param pending    calls waiting for a reply right now
     * @param errors     calls by error code (every code, the client's faults too), cumulative
     * @param p50Ms      median latency over this gateway's last minute, -1 before its first answer
     * @param p99Ms      99th percentile latency over the same minute, -1 before its first answer
     * @param queueDepth records of the request topic waiting for an instance (the share group's lag), -1 unknown
     */
    public record Traffic(long requests, long failures, int pending, Map<String, Long> errors, double p50Ms, double p99Ms,
                          long queueDepth) {
        public Traffic {
            errors = errors == null ? Map.of() : Map.copyOf(errors);
        }

        public Traffic(long requests, long failures, int pending) {
            this(requests, failures, pending, Map.of(), -1, -1, -1);
        }

        /**
         * Counts add up over gateways; percentiles cannot, so the sum keeps the slowest gateway's (an upper bound of the
         * whole); the queue is one per pool-version, read by every gateway at its own moment, so the sum keeps the largest
         * reading (-1, unknown, loses to any). A beat of a gateway older than these fields reads 0 for them, not -1.
         */
        public Traffic plus(Traffic o) {
            Map<String, Long> sum = new java.util.TreeMap<>(errors);
            o.errors.forEach((code, n) -> sum.merge(code, n, Long::sum));
            return new Traffic(requests + o.requests, failures + o.failures, pending + o.pending, sum, Math.max(p50Ms, o.p50Ms),
                    Math.max(p99Ms, o.p99Ms), Math.max(queueDepth, o.queueDepth));
        }
    }

    public GatewayBeat {
        traffic = traffic == null ? Map.of() : Map.copyOf(traffic);
    }

    public GatewayBeat(String id, String replyTopic, String url, long sentAt) {
        this(id, replyTopic, url, sentAt, Map.of());
    }
}
