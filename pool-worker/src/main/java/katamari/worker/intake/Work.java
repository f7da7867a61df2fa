package katamari.worker.intake;

import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * One acquired record on its way through the agent. Its feeder owns the record's share-group acknowledgement;
 * exactly one slot runs it. State moves WAITING → RUNNING → DONE, or WAITING → WITHDRAWN when the feeder takes
 * it back before any slot started it (drain). Both moves out of WAITING are compare-and-set, so a record is
 * never both run and given back.
 */
final class Work {
    enum State { WAITING, RUNNING, DONE, WITHDRAWN }

    final ConsumerRecord<byte[], byte[]> record;
    private final Feeder feeder;
    private final AtomicReference<State> state = new AtomicReference<>(State.WAITING);
    /** How to acknowledge it, set by the slot; null when it must not be acknowledged (the slot's own failure path decides). */
    private volatile AcknowledgeType outcome;

    Work(ConsumerRecord<byte[], byte[]> record, Feeder feeder) {
        this.record = record;
        this.feeder = feeder;
    }

    /** A slot claims it; false when the feeder withdrew it first. */
    boolean start() {
        return state.compareAndSet(State.WAITING, State.RUNNING);
    }

    /** The feeder takes it back; false when a slot already started it. */
    boolean withdraw() {
        return state.compareAndSet(State.WAITING, State.WITHDRAWN);
    }

    State state() {
        return state.get();
    }

    AcknowledgeType outcome() {
        return outcome;
    }

    /** The slot is done with it: hand the acknowledgement to the feeder's thread (the consumer is single-threaded). */
    void complete(AcknowledgeType how) {
        outcome = how;
        state.set(State.DONE);
        feeder.completed(this);
    }
}
