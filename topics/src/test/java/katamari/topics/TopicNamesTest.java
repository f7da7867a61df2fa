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
    }
}
