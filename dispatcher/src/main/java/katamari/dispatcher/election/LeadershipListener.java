package katamari.dispatcher.election;

/** Told about real changes only, from one place: {@link #isLeader} after winning, {@link #notLeader} after losing. */
public interface LeadershipListener {
    /** @param fence this leadership's fencing token; every metadata write carries it */
    void isLeader(long fence);

    void notLeader(String why);
}
