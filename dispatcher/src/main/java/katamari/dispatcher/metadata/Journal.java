package katamari.dispatcher.metadata;

import java.util.Map;
import java.util.TreeMap;

/**
 * What the masters need of their durable copy of the metadata: {@link MetadataJournal} keeps it in a compacted Kafka
 * topic; a test gives {@link FencedStore} and the takeover an in-memory one, so fencing is tested without a broker.
 */
public interface Journal {
    /** Writes one entry of a {@link MetadataJournal#DURABLE} map; returns once it is durable. */
    void put(String mapName, String key, String json);

    /** Records {@code fence} as the highest fence ever used; call before the first write under it. */
    void recordFence(long fence);

    /** Everything the journal holds. */
    Snapshot read();

    /** Where it lives, for logs. */
    String topic();

    /** What the journal held when it was read. */
    record Snapshot(long fence, Map<String, Map<String, String>> maps) {
        public Snapshot {
            Map<String, Map<String, String>> copy = new TreeMap<>();
            maps.forEach((name, entries) -> copy.put(name, Map.copyOf(entries)));
            maps = Map.copyOf(copy);
        }

        public Map<String, String> map(String name) {
            return maps.getOrDefault(name, Map.of());
        }

        /** Nothing was ever written: a brand-new cluster. */
        public boolean empty() {
            return fence == 0 && maps.isEmpty();
        }
    }
}
