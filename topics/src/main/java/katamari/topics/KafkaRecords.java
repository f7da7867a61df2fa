package katamari.topics;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeader;

/**
 * The one mapping between the wire contract and Kafka records: a {@link RequestEnvelope} to and from a request
 * record (headers of DESIGN.md as UTF-8 strings, the request as the value, no key), and the headers of a reply.
 *
 * <p>Reading is strict where a lenient read would answer the wrong caller: a header that is not UTF-8, an empty
 * id or reply topic, a deadline that is not a number all throw {@link MalformedRequestException}. A header sent
 * without a value ({@code kcat -H name}) counts as absent, as it always has.
 */
public final class KafkaRecords {
    private KafkaRecords() {}

    /** The request record for {@code topic}: written byte for byte as DESIGN.md says (header order id, reply-to, deadline, pin). */
    public static ProducerRecord<byte[], byte[]> toRecord(String topic, RequestEnvelope request) {
        return new ProducerRecord<>(topic, null, (byte[]) null, WireCodec.encodeRequest(request.request()), headers(request));
    }

    /** The headers of {@code request}, for a writer that builds its record itself. */
    public static List<Header> headers(RequestEnvelope request) {
        List<Header> headers = new ArrayList<>(4);
        if (request.id() != null) {
            headers.add(header(HeaderNames.ID, request.id()));
        }
        if (request.replyTo() != null) {
            headers.add(header(HeaderNames.REPLY_TO, request.replyTo()));
        }
        request.deadline().ifPresent(d -> headers.add(header(HeaderNames.DEADLINE, Long.toString(d))));
        if (request.versionPin() != null) {
            headers.add(header(HeaderNames.VERSION_PIN, request.versionPin()));
        }
        return headers;
    }

    /** Reads a consumed request record; throws {@link MalformedRequestException} naming what was wrong. */
    public static RequestEnvelope fromRecord(ConsumerRecord<byte[], byte[]> record) {
        return read(record.headers(), record.value());
    }

    /** Reads a request from its headers and value; throws {@link MalformedRequestException} naming what was wrong. */
    public static RequestEnvelope read(Headers headers, byte[] value) {
        Header replyHeader = headers.lastHeader(HeaderNames.REPLY_TO);
        boolean wantsReply = replyHeader != null && replyHeader.value() != null;
        String id = strict(headers, HeaderNames.ID, null, null, wantsReply);
        String replyTo = strict(headers, HeaderNames.REPLY_TO, id, null, wantsReply);
        String deadlineText = strict(headers, HeaderNames.DEADLINE, id, replyTo, wantsReply);
        String pin = strict(headers, HeaderNames.VERSION_PIN, id, replyTo, wantsReply);
        OptionalLong deadline = OptionalLong.empty();
        if (deadlineText != null) {
            try {
                deadline = OptionalLong.of(Long.parseLong(deadlineText.trim()));
            } catch (NumberFormatException e) {
                throw new MalformedRequestException(HeaderNames.DEADLINE + " header '" + deadlineText + "' is not epoch milliseconds",
                        HeaderNames.DEADLINE, id, replyTo, wantsReply, e);
            }
        }
        Request request;
        try {
            request = WireCodec.decodeRequest(value);
        } catch (MalformedRecordException e) {
            throw new MalformedRequestException(e.getMessage(), null, id, replyTo, wantsReply, e);
        }
        try {
            return new RequestEnvelope(id, replyTo, deadline, pin, request);
        } catch (IllegalArgumentException e) {
            throw new MalformedRequestException(e.getMessage(), HeaderNames.ID, id, replyTo, wantsReply, e);
        }
    }

    /** A cancel of the request {@code id} ({@link TopicNames#CANCELS}): the id is the key, there is no value. */
    public static ProducerRecord<byte[], byte[]> cancelRecord(String id) {
        if (id == null || id.isEmpty()) {
            throw new IllegalArgumentException("a cancel needs the request's id");
        }
        return new ProducerRecord<>(TopicNames.CANCELS, id.getBytes(StandardCharsets.UTF_8), null);
    }

    /** The request id a record of {@link TopicNames#CANCELS} cancels, or null when its key is absent or empty. */
    public static String cancelledId(ConsumerRecord<byte[], byte[]> record) {
        byte[] key = record.key();
        return key == null || key.length == 0 ? null : new String(key, StandardCharsets.UTF_8);
    }

    /** The headers of a reply record (DESIGN.md "Reply record"); a null value is written empty. */
    public static List<Header> replyHeaders(String id, String pool, String version, String instance) {
        return List.of(header(HeaderNames.ID, id), header(HeaderNames.POOL, pool),
                header(HeaderNames.VERSION, version), header(HeaderNames.INSTANCE, instance));
    }

    /** The last header called {@code name} as text, or null when there is none or it has no value (lenient: for logs and replies). */
    public static String text(Headers headers, String name) {
        Header h = headers.lastHeader(name);
        return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    /** One header, its value {@code value} in UTF-8 (empty for null). */
    public static Header header(String name, String value) {
        return new RecordHeader(name, value == null ? new byte[0] : value.getBytes(StandardCharsets.UTF_8));
    }

    private static String strict(Headers headers, String name, String id, String replyTo, boolean wantsReply) {
        Header h = headers.lastHeader(name);
        if (h == null || h.value() == null) {
            return null;
        }
        try {
            String text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(h.value())).toString();
            if (text.isBlank()) {
                throw new MalformedRequestException(name + " header is empty", name, id, replyTo, wantsReply, null);
            }
            return text;
        } catch (CharacterCodingException e) {
            throw new MalformedRequestException(name + " header is not UTF-8", name, id, replyTo, wantsReply, e);
        }
    }
}
