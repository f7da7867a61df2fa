package katamari.client;

import katamari.topics.Reply;

/**
 * A reply as a client received it, with the pool-version that answered (null when the client answered itself, e.g.
 * on timeout), what hedging did to the call, and for a majority request how many of its copies agreed.
 *
 * @param quorum {@code <agreed>/<copies>} for a majority request (the largest number of equal answers when the call
 *               was decided; the value of the {@code Katamari-Quorum} response header), null for any other call
 */
public record Answer(Reply reply, String pool, String version, Hedging hedging, String quorum) {
    /** Whether a second copy of the request went out, and which copy answered. */
    public enum Hedging {
        /** No second copy was sent. */
        NONE("none"),
        /** A second copy was sent; the first copy's reply answered the caller. */
        SENT_FIRST_WON("sent-first-won"),
        /** A second copy was sent and its reply answered the caller. */
        SENT_HEDGE_WON("sent-hedge-won"),
        /** A second copy was sent and no copy answered (a timeout or an error the client made itself). */
        SENT_NONE_WON("sent-none-won");

        private final String wire;

        Hedging(String wire) {
            this.wire = wire;
        }

        /** The value of the {@code Katamari-Hedge} response header. */
        public String wire() {
            return wire;
        }

        public boolean sent() {
            return this != NONE;
        }
    }

    public Answer(Reply reply, String pool, String version) {
        this(reply, pool, version, Hedging.NONE, null);
    }

    public Answer(Reply reply, String pool, String version, Hedging hedging) {
        this(reply, pool, version, hedging, null);
    }

    public Answer {
        hedging = hedging == null ? Hedging.NONE : hedging;
    }
}
