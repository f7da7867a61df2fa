package katamari.dispatcher.election;

import java.time.Instant;
import java.util.function.Consumer;

/**
 * One term of leadership, as {@link LeaderElection} hands it to its {@link LeadershipListener}: its fencing token
 * (every metadata write of the term carries it), when it began, and the way to end it early.
 */
public final class Term {
    private final long fence;
    private final Instant since;
    private final Consumer<String> resign;

    /** @param resign ends the term early, with why; {@link LeaderElection} ignores it once the term is over */
    public Term(long fence, Instant since, Consumer<String> resign) {
        this.fence = fence;
        this.since = since;
        this.resign = resign;
    }

    public long fence() {
        return fence;
    }

    public Instant since() {
        return since;
    }

    /**
     * Ends this term: a write under its fence was refused, or its takeover failed. The election releases the lock
     * and contends again; a term that is already over is left alone, so a late call cannot end a newer term.
     */
    public void resign(String why) {
        resign.accept(why);
    }

    @Override
    public String toString() {
        return "term " + fence + " (since " + since + ")";
    }
}
