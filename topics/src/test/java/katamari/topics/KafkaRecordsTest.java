package katamari.topics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.OptionalLong;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

/** The request envelope's Kafka mapping: DESIGN.md's "Request record", byte for byte. */
class KafkaRecordsTest {
    private static final byte[] ECHO = utf8("{\"method\":\"echo\",\"args\":{\"text\":\"hi\"}}");

    @Test
    void a_call_round_trips_through_a_record() {
        RequestEnvelope sent = RequestEnvelope.call("req-1", "my-replies", 1_764_000_000_000L, "v2", request());
        ProducerRecord<byte[], byte[]> record = KafkaRecords.toRecord("katamari.requests.echo.v1", sent);
        assertEquals(sent, KafkaRecords.read(record.headers(), record.value()));
        assertNull(record.key(), "no key: the routing key is the gateway's business");
    }

    @Test
    void the_headers_are_written_as_design_md_says() {
        ProducerRecord<byte[], byte[]> record = KafkaRecords.toRecord("t", RequestEnvelope.call("req-1", "my-replies", 42, "v2", request()));
        List<String> written = new java.util.ArrayList<>();
        for (Header h : record.headers()) {
            written.add(h.key() + "=" + new String(h.value(), StandardCharsets.UTF_8));
        }
        assertEquals(List.of("katamari-id=req-1", "katamari-reply-to=my-replies", "katamari-deadline=42", "katamari-version-pin=v2"), written);
        assertArrayEquals(ECHO, record.value());
    }

    @Test
    void a_one_way_request_has_no_reply_to_header() {
        ProducerRecord<byte[], byte[]> record = KafkaRecords.toRecord("t", RequestEnvelope.oneWay("n-1", 42, null, request()));
        assertNull(record.headers().lastHeader(HeaderNames.REPLY_TO));
        assertNull(record.headers().lastHeader(HeaderNames.VERSION_PIN));
        assertFalse(KafkaRecords.read(record.headers(), record.value()).wantsReply());
    }

    @Test
    void what_kcat_sends_is_read_and_a_missing_deadline_is_left_to_the_pool() {
        RequestEnvelope read = KafkaRecords.read(headers("katamari-id", "req-1", "katamari-reply-to", "my-replies"), ECHO);
        assertEquals("req-1", read.id());
        assertEquals(OptionalLong.empty(), read.deadline());
        assertEquals(1234, read.deadlineOr(1234));
        assertEquals("echo", read.request().method());
    }

    @Test
    void a_header_without_value_counts_as_absent() {
        RecordHeaders h = headers("katamari-id", "req-1", "katamari-reply-to", "my-replies");
        h.add(new RecordHeader(HeaderNames.DEADLINE, (byte[]) null));
        h.add(new RecordHeader(HeaderNames.VERSION_PIN, (byte[]) null));
        RequestEnvelope read = KafkaRecords.read(h, ECHO);
        assertEquals(OptionalLong.empty(), read.deadline());
        assertNull(read.versionPin());
    }

    @Test
    void a_garbled_deadline_is_a_typed_error_that_still_knows_where_to_answer() {
        MalformedRequestException e = assertThrows(MalformedRequestException.class, () -> KafkaRecords.read(
                headers("katamari-id", "req-1", "katamari-reply-to", "my-replies", "katamari-deadline", "soon"), ECHO));
        assertEquals(HeaderNames.DEADLINE, e.header());
        assertTrue(e.getMessage().contains("'soon'"), e.getMessage());
        assertTrue(e.canReply());
        assertEquals("req-1", e.id());
    }

    @Test
    void a_header_that_is_not_utf8_is_a_typed_error() {
        RecordHeaders h = headers("katamari-id", "req-1");
        h.add(new RecordHeader(HeaderNames.REPLY_TO, new byte[] {(byte) 0xC3, (byte) 0x28}));
        MalformedRequestException e = assertThrows(MalformedRequestException.class, () -> KafkaRecords.read(h, ECHO));
        assertEquals(HeaderNames.REPLY_TO, e.header());
        assertFalse(e.canReply(), "a garbled reply topic cannot be answered on");
        assertTrue(e.wantsReply(), "but somebody waits: the receiver dead-letters it");
    }

    @Test
    void a_reply_wanted_without_an_id_is_a_typed_error() {
        MalformedRequestException e = assertThrows(MalformedRequestException.class,
                () -> KafkaRecords.read(headers("katamari-reply-to", "my-replies"), ECHO));
        assertEquals(HeaderNames.ID, e.header());
        assertEquals("my-replies", e.replyTo());
        assertFalse(e.canReply());
    }

    @Test
    void an_empty_id_is_a_typed_error() {
        assertThrows(MalformedRequestException.class, () -> KafkaRecords.read(headers("katamari-id", "", "katamari-reply-to", "r"), ECHO));
    }

    @Test
    void a_value_that_is_not_a_request_is_a_typed_error_naming_no_header() {
        MalformedRequestException e = assertThrows(MalformedRequestException.class,
                () -> KafkaRecords.read(headers("katamari-id", "req-1", "katamari-reply-to", "r"), utf8("{\"method\":")));
        assertNull(e.header());
        assertTrue(e.canReply());
        assertThrows(MalformedRequestException.class, () -> KafkaRecords.read(headers("katamari-id", "req-1"), null));
    }

    @Test
    void the_envelope_refuses_what_the_contract_does_not_allow() {
        assertThrows(IllegalArgumentException.class, () -> new RequestEnvelope(null, "r", OptionalLong.empty(), null, request()));
        assertThrows(IllegalArgumentException.class, () -> new RequestEnvelope("a", "r", OptionalLong.of(-1), null, request()));
        assertThrows(IllegalArgumentException.class, () -> new RequestEnvelope("a", " ", OptionalLong.empty(), null, request()));
        assertThrows(NullPointerException.class, () -> new RequestEnvelope("a", "r", OptionalLong.empty(), null, null));
    }

    @Test
    void reply_headers_are_read_back_leniently() {
        RecordHeaders h = new RecordHeaders(KafkaRecords.replyHeaders("req-1", "echo", "v1", null));
        assertEquals("echo", KafkaRecords.text(h, HeaderNames.POOL));
        assertEquals("", KafkaRecords.text(h, HeaderNames.INSTANCE));
        assertNull(KafkaRecords.text(h, HeaderNames.DEADLINE));
    }

    private static Request request() {
        ObjectNode args = WireCodec.mapper().createObjectNode().put("text", "hi");
        return new Request("echo", args);
    }

    private static RecordHeaders headers(String... namesAndValues) {
        RecordHeaders h = new RecordHeaders();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            h.add(new RecordHeader(namesAndValues[i], utf8(namesAndValues[i + 1])));
        }
        return h;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
