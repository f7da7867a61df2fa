package katamari.cluster;

/** A gateway's heartbeat: the master deletes {@code replyTopic} once the gateway has been silent for the gateway TTL. */
public record GatewayBeat(String id, String replyTopic, String url, long sentAt) {}
