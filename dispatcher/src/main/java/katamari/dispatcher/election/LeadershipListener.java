package katamari.dispatcher.election;

/**
 * Told about real changes only, in order, from one place under the election's lock (as Curator's
 * {@code LeaderLatch.setLeadership}): {@link #notLeader} of a term always comes before {@link #isLeader} of the next.
 * Both are called with the election's lock held: hand the work to another thread, never block.
 */
public interface LeadershipListener {
    /** This dispatcher leads for {@code term}; {@link Term#resign} ends it early. */
    void isLeader(Term term);

    /** The term with this fence is over; a listener that already moved on to a newer term ignores it. */
    void notLeader(long fence, String why);
}
