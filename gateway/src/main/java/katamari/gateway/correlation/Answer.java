package katamari.gateway.correlation;

import katamari.topics.Reply;

/** A reply as the gateway received it, with the pool-version that answered (null when the gateway answered itself). */
public record Answer(Reply reply, String pool, String version) {}
