package katamari.cluster;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** JSON codec of the metadata records (Jackson; durations as {@code 30s}, like the config file). */
public final class MetadataJson {
    private static final Logger LOG = LoggerFactory.getLogger(MetadataJson.class);
    private static final ObjectMapper MAPPER = new ObjectMapper()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);

    private MetadataJson() {}

    public static ObjectMapper mapper() {
        return MAPPER;
    }

    public static String encode(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot encode " + value.getClass().getSimpleName() + ": " + e.getOriginalMessage(), e);
        }
    }

    /**
     * Decodes every entry of a metadata map; an unreadable one is logged and left out (the master replaces it).
     *
     * @return key → value, in key order
     */
    public static <T> Map<String, T> decodeAll(Map<String, String> entries, String mapName, Class<T> type) {
        Map<String, T> out = new TreeMap<>();
        for (Map.Entry<String, String> e : entries.entrySet()) {
            try {
                out.put(e.getKey(), decode(e.getValue(), type));
            } catch (IllegalArgumentException ex) {
                LOG.warn("{}[{}] is unreadable and will be replaced: {}", mapName, e.getKey(), ex.getMessage());
            }
        }
        return out;
    }

    /** @throws IllegalArgumentException when the text is not a valid {@code type} */
    public static <T> T decode(String json, Class<T> type) {
        try {
            return MAPPER.readValue(json, type);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not a valid " + type.getSimpleName() + ": " + e.getOriginalMessage(), e);
        }
    }
}
