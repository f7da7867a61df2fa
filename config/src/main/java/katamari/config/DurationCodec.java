package katamari.config;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.SerializerProvider;
import java.io.IOException;
import java.time.Duration;

/** Jackson glue for {@link Durations}: config durations are strings like {@code 30s}. */
final class DurationCodec {
    private DurationCodec() {}

    static final class Reader extends JsonDeserializer<Duration> {
        @Override
        public Duration deserialize(JsonParser p, DeserializationContext ctx) throws IOException {
            try {
                return Durations.parse(p.getValueAsString());
            } catch (IllegalArgumentException e) {
                // the field's name, so a bad value nested in a record (autoscale.growAfter) says where it is
                String field = p.currentName();
                throw ctx.weirdStringException(p.getText(), Duration.class, field == null ? e.getMessage() : field + ": " + e.getMessage());
            }
        }
    }

    static final class Writer extends JsonSerializer<Duration> {
        @Override
        public void serialize(Duration value, JsonGenerator gen, SerializerProvider serializers) throws IOException {
            gen.writeString(Durations.format(value));
        }
    }
}
