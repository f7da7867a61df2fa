package katamari.client;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

/** Reading Katamari's headers (DESIGN.md: UTF-8 strings) off a consumed record. */
public final class RecordHeaders {
    private RecordHeaders() {}

    /** @return the last header called {@code name} as text, or null when there is none or it has no value */
    public static String text(ConsumerRecord<?, ?> record, String name) {
        Header h = record.headers().lastHeader(name);
        return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }
}
