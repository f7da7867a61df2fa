package katamari.client;

import katamari.topics.Reply;

/** A reply as a client received it, with the pool-version that answered (null when the client answered itself, e.g. on timeout). */
public record Answer(Reply reply, String pool, String version) {}
