package katamari.client;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import katamari.topics.ErrorCode;
import katamari.topics.KatamariError;
import katamari.topics.Reply;
import katamari.topics.WireCodec;

/**
 * The tally of one majority request: the answers of its {@code copies} as they come, and the decision as soon as
 * there is one. An answer is a result, or an error the pool gave as its answer (a handler's error, a bad request):
 * two are equal when their JSON is, after sorting object keys (an error's value is its code and message). A copy
 * that failed without answering (its instance crashed on every attempt, the deadline passed, it could not be sent)
 * is no answer and agrees with nothing. Decided when one answer has a majority ({@code copies / 2 + 1}), or when
 * none can have one any more: then {@code timeout} if the deadline passed, else {@code no_quorum}, both listing
 * what came ({@link KatamariError#answers()}).
 *
 * <p>Not thread-safe by itself: {@link #add} is synchronized, and only its first decision counts.
 */
final class Quorum {
    /** Errors that say a copy got no answer from the pool, as opposed to the pool answering with an error. */
    private static final Set<String> NOT_ANSWERS = Set.of(ErrorCode.INSTANCE_CRASHED.wire(), ErrorCode.TIMEOUT.wire(),
            ErrorCode.OVERLOADED.wire(), ErrorCode.INTERNAL.wire());

    private static final class Tally {
        final Reply sample;
        int count;

        Tally(Reply sample) {
            this.sample = sample;
        }
    }

    private final String id;
    private final int copies;
    private final int majority;
    /** Canonical answer → its tally, in the order answers first came. */
    private final Map<String, Tally> answers = new LinkedHashMap<>();
    /** Error code → copies that failed with it. */
    private final Map<String, Integer> failed = new LinkedHashMap<>();
    private int seen;
    private boolean timedOut;
    private boolean decided;

    /** @param id the caller's id, which the decision's reply carries */
    Quorum(String id, int copies) {
        if (copies < 1 || copies % 2 == 0) {
            throw new IllegalArgumentException("a quorum needs an odd number of copies, was " + copies);
        }
        this.id = id;
        this.copies = copies;
        this.majority = copies / 2 + 1;
    }

    /** Counts one copy's answer; @return the call's answer when this one decides it, else null */
    synchronized Answer add(Answer a) {
        if (decided) {
            return null;
        }
        seen++;
        Reply r = a.reply();
        if (r.isError() && NOT_ANSWERS.contains(r.error().code())) {
            failed.merge(r.error().code(), 1, Integer::sum);
            // the call's deadline passed (every copy has the same one), at the client or at an agent
            timedOut |= ErrorCode.TIMEOUT.wire().equals(r.error().code());
        } else {
            Tally t = answers.computeIfAbsent(key(r), k -> new Tally(r));
            if (++t.count >= majority) {
                decided = true;
                Reply won = r.isError() ? Reply.failure(id, r.error()) : Reply.success(id, r.result());
                return new Answer(won, a.pool(), a.version(), Answer.Hedging.NONE, t.count + "/" + copies);
            }
        }
        int best = answers.values().stream().mapToInt(t -> t.count).max().orElse(0);
        if (best + (copies - seen) >= majority) {
            return null;
        }
        decided = true;
        ErrorCode code = timedOut ? ErrorCode.TIMEOUT : ErrorCode.NO_QUORUM;
        String message = (timedOut ? "the deadline passed before a majority agreed: " : "no majority of equal answers: ")
                + best + " of " + copies + " copies agreed at most (" + answers.size() + " distinct answers, "
                + failed.values().stream().mapToInt(Integer::intValue).sum() + " copies without one)";
        return new Answer(Reply.failure(id, KatamariError.of(code, message).withAnswers(listing())), a.pool(), a.version(),
                Answer.Hedging.NONE, best + "/" + copies);
    }

    /** An answer's value: its result, or its error's code and message, as canonical JSON. */
    private static String key(Reply r) {
        if (!r.isError()) {
            return "r" + WireCodec.canonical(r.result());
        }
        return "e" + WireCodec.canonical(errorValue(r.error()));
    }

    private static ObjectNode errorValue(KatamariError e) {
        ObjectNode v = WireCodec.mapper().createObjectNode();
        v.put("code", e.code());
        v.put("message", e.message());
        return v;
    }

    /** {@code [{"count": 2, "result": ...}, {"count": 1, "error": {"code", "message"}}, {"count": 1, "failed": "timeout"}]} */
    private ArrayNode listing() {
        ArrayNode list = WireCodec.mapper().createArrayNode();
        answers.values().forEach(t -> {
            ObjectNode o = list.addObject().put("count", t.count);
            if (t.sample.isError()) {
                o.set("error", errorValue(t.sample.error()));
            } else {
                o.set("result", t.sample.result());
            }
        });
        failed.forEach((code, n) -> list.addObject().put("count", n).put("failed", code));
        return list;
    }
}
