package katamari.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import katamari.topics.ErrorCode;
import katamari.topics.KatamariError;
import katamari.topics.Reply;
import katamari.topics.WireCodec;
import org.junit.jupiter.api.Test;

/** How a majority request's answers are tallied and decided (Quorum). */
class QuorumTest {
    private static Answer result(int copy, String json) {
        return new Answer(Reply.success("c.q" + copy, WireCodec.parse(json)), "vote", "v1");
    }

    private static Answer error(int copy, ErrorCode code, String message) {
        return new Answer(Reply.failure("c.q" + copy, KatamariError.of(code, message).at("vote", "v1")), "vote", "v1");
    }

    /** A timeout the client made itself (no pool named): the deadline passed. */
    private static Answer clientTimeout(int copy) {
        return new Answer(Reply.failure("c.q" + copy, KatamariError.of(ErrorCode.TIMEOUT, "no reply within 500 ms")), null, null);
    }

    @Test
    void two_of_three_equal_results_decide_at_once_whatever_the_key_order_and_under_the_callers_id() {
        Quorum q = new Quorum("c", 3);
        assertNull(q.add(result(1, "{\"a\": 1, \"b\": [{\"x\": 1, \"y\": 2}]}")));
        Answer decided = q.add(result(3, "{\"b\": [{\"y\": 2, \"x\": 1}], \"a\": 1}"));
        assertNotNull(decided, "two agree");
        assertEquals("c", decided.reply().id());
        assertEquals("2/3", decided.quorum());
        assertEquals(WireCodec.parse("{\"a\": 1, \"b\": [{\"x\": 1, \"y\": 2}]}"), decided.reply().result());
        assertNull(q.add(result(2, "\"late\"")), "a copy after the decision changes nothing");
    }

    @Test
    void equal_handler_errors_are_an_answer_and_differing_messages_are_not_equal() {
        Quorum q = new Quorum("c", 3);
        assertNull(q.add(error(1, ErrorCode.HANDLER_ERROR, "division by zero")));
        assertNull(q.add(error(2, ErrorCode.HANDLER_ERROR, "division by zero at line 3")));
        Answer decided = q.add(error(3, ErrorCode.HANDLER_ERROR, "division by zero"));
        assertEquals("handler_error", decided.reply().error().code());
        assertEquals("2/3", decided.quorum());
    }

    @Test
    void when_no_answer_can_reach_a_majority_it_is_no_quorum_listing_each_answer_and_the_copies_without_one() {
        Quorum q = new Quorum("c", 5);
        assertNull(q.add(result(1, "1")));
        assertNull(q.add(result(2, "2")));
        assertNull(q.add(error(3, ErrorCode.INSTANCE_CRASHED, "died on every attempt")));
        Answer decided = q.add(result(4, "1.0")); // 1.0 is not 1: at most 1 + 1 more of 5, below 3
        assertNotNull(decided, "1 is best with 2 at most, below 3 of 5");
        assertEquals("no_quorum", decided.reply().error().code());
        assertEquals(502, decided.reply().error().knownCode().httpStatus());
        assertEquals("1/5", decided.quorum());
        JsonNode answers = decided.reply().error().answers();
        assertEquals(WireCodec.parse("[{\"count\": 1, \"result\": 1}, {\"count\": 1, \"result\": 2}, {\"count\": 1, \"result\": 1.0},"
                + " {\"count\": 1, \"failed\": \"instance_crashed\"}]"), answers);
    }

    @Test
    void copies_that_time_out_make_it_a_timeout_not_no_quorum() {
        Quorum q = new Quorum("c", 3);
        assertNull(q.add(result(1, "1")));
        assertNull(q.add(clientTimeout(2)));
        Answer decided = q.add(clientTimeout(3));
        assertEquals("timeout", decided.reply().error().code());
        assertEquals(2, decided.reply().error().answers().size(), decided.reply().error().answers().toString());
    }

    @Test
    void a_quorum_is_an_odd_number_of_copies() {
        assertThrows(IllegalArgumentException.class, () -> new Quorum("c", 2));
        assertThrows(IllegalArgumentException.class, () -> new Quorum("c", 0));
    }
}
