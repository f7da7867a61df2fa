package katamari.worker.intake;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.locks.Condition;

/**
 * Which of an intake's feeders may fetch next; every method is called with the {@link PoolIntake}'s lock held.
 *
 * <p>A feeder's batch is over only when its last record is, so one long call holds the whole feeder. With two
 * feeders, two long calls left the agent's other instances idle while requests waited in Kafka (a 2-s stall held a
 * hedge's copy 2 s, issue 19). So an intake has a feeder per instance: the first {@value #TAKING_TURNS} take turns as
 * before, and a further one fetches only for an idle slot while every feeder ranked before it holds a batch, so a
 * pool whose calls are short fetches as before. Every feeder's consumer joins the share group when it starts.
 */
final class FetchTurns {
    /** Two take turns, so one batch can be fetched while the other runs; the rest fetch only for a starved slot. */
    static final int TAKING_TURNS = 2;

    private final List<Feeder> feeders;
    /** The one feeder fetching: two fetching at once could each bring a batch no slot is free for. */
    private Feeder fetcher;
    /** A feeder whose last poll came back empty may have a fetch in flight whose records are locked once they land: it polls next. */
    private Feeder pollOwner;
    /** Feeders whose batch is not over yet. */
    private final Set<Feeder> holding = new HashSet<>();

    /** @param feeders the intake's feeders, in rank order */
    FetchTurns(List<Feeder> feeders) {
        this.feeders = feeders;
    }

    /**
     * Whether {@code f} may fetch: no other feeder fetches or owes a poll; past the feeders taking turns, a slot is
     * idle and every feeder ranked before {@code f} holds a batch. (The intake checks its own side: open, nothing
     * waiting, a slot alive.)
     */
    boolean mayFetch(Feeder f, int idleSlots) {
        return fetcher == null && (pollOwner == null || pollOwner == f)
                && (takesTurns(f) || (idleSlots > 0 && allHoldBefore(f.rank)));
    }

    /** Whether {@code f} is one of the feeders taking turns (the rest fetch only for a starved slot). */
    static boolean takesTurns(Feeder f) {
        return f.rank < TAKING_TURNS;
    }

    private boolean allHoldBefore(int rank) {
        return feeders.stream().limit(rank).allMatch(holding::contains);
    }

    /** Whether a slot that just became idle, with nothing waiting, needs the feeders woken: those taking turns all hold a batch. */
    boolean starved() {
        return holding.size() >= TAKING_TURNS;
    }

    /**
     * Wakes the feeders that may fetch now: all of those taking turns (waiting on {@code takingTurns}), and of the
     * further ones only the one that could, on its own condition. Waking every further feeder whenever a slot went
     * idle cost 8-20 % of sleep10 at 16 instances (14 feeders woken to find it was not their turn; 2026-12-01).
     */
    void wake(Condition takingTurns) {
        takingTurns.signalAll();
        if (!allHoldBefore(TAKING_TURNS)) {
            return; // a further feeder may fetch only while every feeder before it holds a batch: none may now
        }
        for (int rank = TAKING_TURNS; rank < feeders.size(); rank++) {
            Feeder f = feeders.get(rank);
            if (!holding.contains(f)) {
                f.wake.signal(); // every feeder before it holds one: the two taking turns (above), and the further ones passed here
                return;
            }
        }
    }

    void begin(Feeder f) {
        fetcher = f;
    }

    /** {@code f}'s poll brought {@code count} records: none, and it owes the next poll; some, and it holds a batch (null: renewals brought them). */
    void fetched(Feeder f, int count) {
        if (f == null) {
            return;
        }
        pollOwner = count == 0 ? f : null;
        if (count > 0) {
            holding.add(f);
        }
    }

    void ended(Feeder f) {
        if (fetcher == f) {
            fetcher = null;
        }
    }

    /** @return whether {@code f} held a batch (others may now fetch) */
    boolean batchOver(Feeder f) {
        return holding.remove(f);
    }

    /** {@code f} withdrew records; when its consumer {@code failed}, it owes no poll any more, and another feeder may fetch meanwhile. */
    void withdrew(Feeder f, boolean failed) {
        if (failed && pollOwner == f) {
            pollOwner = null;
        }
    }
}
