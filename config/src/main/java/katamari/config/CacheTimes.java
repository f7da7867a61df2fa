package katamari.config;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.SerializerProvider;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;

/**
 * Jackson glue for a pool's {@code cache} ({@code {count: 60s}}): a whole-map codec rather than a content one, so that
 * a value that is not a duration is refused with a message naming its field ({@code cache.count}) in the config file's
 * error and the admin API's 400 alike.
 */
final class CacheTimes {
    private CacheTimes() {}

    static final class Reader extends JsonDeserializer<Map<String, Duration>> {
        @Override
        public Map<String, Duration> deserialize(JsonParser p, DeserializationContext ctx) throws IOException {
            if (p.currentToken() != JsonToken.START_OBJECT) {
                throw JsonMappingException.from(p, "cache must map method names to durations, e.g. {\"count\": \"60s\"}, not " + p.getText());
            }
            Map<String, Duration> out = new TreeMap<>();
            for (JsonToken t = p.nextToken(); t == JsonToken.FIELD_NAME; t = p.nextToken()) {
                String method = p.currentName();
                JsonToken value = p.nextToken();
                if (value != JsonToken.VALUE_STRING) {
                    throw JsonMappingException.from(p, "cache." + method + " must be a duration such as \"60s\", not " + p.getText());
                }
                try {
                    out.put(method, Durations.parse(p.getText()));
                } catch (IllegalArgumentException e) {
                    throw JsonMappingException.from(p, "cache." + method + ": " + e.getMessage());
                }
            }
            return out;
        }

        @Override
        public Map<String, Duration> getNullValue(DeserializationContext ctx) {
            return null;
        }
    }

    static final class Writer extends JsonSerializer<Map<String, Duration>> {
        @Override
        public void serialize(Map<String, Duration> value, JsonGenerator gen, SerializerProvider serializers) throws IOException {
            gen.writeStartObject();
            for (Map.Entry<String, Duration> e : new TreeMap<>(value).entrySet()) {
                gen.writeStringField(e.getKey(), Durations.format(e.getValue()));
            }
            gen.writeEndObject();
        }

        @Override
        public boolean isEmpty(SerializerProvider provider, Map<String, Duration> value) {
            return value == null || value.isEmpty();
        }
    }
}
