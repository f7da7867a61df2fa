package katamari.worker.intake;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import katamari.topics.HeaderNames;
import katamari.topics.KafkaRecords;
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
    /** For a copy of a majority request ({@code katamari-copy}), the id its sibling copies share; else null. */
    final String copyOf;
    /** Slots that would not run this copy (they ran a sibling); guarded by the intake's lock, made when first needed. */
    private Set<Siblings> declined;
    private final Feeder feeder;
    private final AtomicReference<State> state = new AtomicReference<>(State.WAITING);
    /** How to acknowledge it, set by the slot; null when it must not be acknowledged (the slot's own failure path decides). */
    private volatile AcknowledgeType outcome;

    Work(ConsumerRecord<byte[], byte[]> record, Feeder feeder) {
        this.record = record;
        this.feeder = feeder;
        this.copyOf = copyOf(record);
    }

    /** {@code katamari-copy: i/n} on a record whose id is {@code <id>.q<i>}: {@code <id>}; anything else is no copy. */
    private static String copyOf(ConsumerRecord<byte[], byte[]> record) {
        String copy;
        String id;
        try {
            copy = KafkaRecords.text(record.headers(), HeaderNames.COPY);
            id = copy == null ? null : KafkaRecords.text(record.headers(), HeaderNames.ID);
        } catch (RuntimeException malformed) {
            return null; // the slot refuses the record as it would without the header
        }
        int slash = copy == null ? -1 : copy.indexOf('/');
        String suffix = slash > 0 ? ".q" + copy.substring(0, slash) : null;
        return id != null && suffix != null && id.endsWith(suffix) && id.length() > suffix.length()
                ? id.substring(0, id.length() - suffix.length()) : null;
    }

    /** Lock held: {@code slot} will not run this copy; @return how many of the agent's slots have said so */
    int declinedBy(Siblings slot) {
        if (declined == null) {
            declined = Collections.newSetFromMap(new IdentityHashMap<>());
        }
        declined.add(slot);
        return declined.size();
    }

    boolean firstDelivery() {
        return record.deliveryCount().map(n -> n <= 1).orElse(true);
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
