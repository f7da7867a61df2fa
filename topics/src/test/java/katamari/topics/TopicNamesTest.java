package katamari.topics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TopicNamesTest {
    @Test
    void topics_follow_the_design_names() {
        assertEquals("katamari.requests.echo.v1", TopicNames.requests("echo", "v1"));
        assertEquals("katamari.dead.echo.v1", TopicNames.dead("echo", "v1"));
        assertEquals("katamari.replies.gw-1", TopicNames.replies("gw-1"));
        assertEquals("katamari.cancels", TopicNames.cancels());
    }

    @Test
    void a_cancel_record_is_keyed_by_the_request_id_and_read_back_from_the_key() {
        var record = KafkaRecords.cancelRecord("req-1");
        assertEquals("katamari.cancels", record.topic());
        assertEquals(null, record.value());
        var consumed = new org.apache.kafka.clients.consumer.ConsumerRecord<>("katamari.cancels", 0, 0L, record.key(), record.value());
        assertEquals("req-1", KafkaRecords.cancelledId(consumed));
        var keyless = new org.apache.kafka.clients.consumer.ConsumerRecord<byte[], byte[]>("katamari.cancels", 0, 1L, null, null);
        assertEquals(null, KafkaRecords.cancelledId(keyless), "a record without a key cancels nothing");
        assertThrows(IllegalArgumentException.class, () -> KafkaRecords.cancelRecord(""));
    }

    @Test
    void names_accept_lowercase_digits_dash_and_underscore_up_to_63() {
        assertTrue(Names.isValid("fake"));
        assertTrue(Names.isValid("0_parser-2"));
        assertTrue(Names.isValid("a".repeat(63)));
        assertFalse(Names.isValid("a".repeat(64)));
        assertFalse(Names.isValid("Echo"));
        assertFalse(Names.isValid("-echo"));
        assertFalse(Names.isValid("echo.v1"));
        assertFalse(Names.isValid(""));
        assertFalse(Names.isValid(null));
    }

    @Test
    void an_invalid_name_is_refused_with_the_rule_in_the_message() {
        var e = assertThrows(IllegalArgumentException.class, () -> TopicNames.requests("Bad Pool", "v1"));
        assertTrue(e.getMessage().contains("pool name 'Bad Pool' is invalid"), e.getMessage());
    }

    @Test
    void every_error_code_has_the_design_http_status() {
        assertEquals(400, ErrorCode.BAD_REQUEST.httpStatus());
        assertEquals(404, ErrorCode.fromWire("method_not_found").orElseThrow().httpStatus());
        assertEquals(413, ErrorCode.PAYLOAD_TOO_LARGE.httpStatus());
        assertEquals(503, ErrorCode.OVERLOADED.httpStatus());
        assertEquals(502, ErrorCode.INSTANCE_CRASHED.httpStatus());
        assertEquals(504, ErrorCode.TIMEOUT.httpStatus());
        assertEquals(404, ErrorCode.NOT_FOUND.httpStatus());
        assertEquals(409, ErrorCode.DUPLICATE_ID.httpStatus());
        assertEquals(499, ErrorCode.fromWire("cancelled").orElseThrow().httpStatus());
    }
}
