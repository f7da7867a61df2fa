package katamari.dispatcher.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import katamari.cluster.MetadataJson;
import org.junit.jupiter.api.Test;

/** The charts' numbers: rates from the gateways' cumulative counts, unknowns as gaps, and only the last 5 minutes. */
class TrafficHistoryTest {
    private final TrafficHistory history = new TrafficHistory(Map::of);

    @Test
    void rates_are_differences_of_cumulative_counts_per_second_and_a_count_that_went_down_counts_from_zero() {
        history.record(1_000, cluster(100, 0, -1));
        history.record(2_000, cluster(150, 2, 12.5));
        history.record(4_000, cluster(250, 2, 13));
        history.record(5_000, cluster(30, 0, 9)); // a gateway restarted: its counts began again
        JsonNode echo = render().path("versions").path("echo/v1");
        assertEquals(Arrays.asList(null, 50.0, 50.0, 30.0), doubles(echo.path("requestsPerSecond")));
        assertEquals(Arrays.asList(null, 2.0, 0.0, 0.0), doubles(echo.path("errorsPerSecond").path("timeout")));
        assertEquals(Arrays.asList(null, 12.5, 13.0, 9.0), doubles(echo.path("p50Ms")), "-1 (no answer yet) is a gap");
        assertEquals(List.of(1_000L, 2_000L, 4_000L, 5_000L), longs(render().path("t")));
    }

    @Test
    void only_the_last_300_samples_are_kept() {
        for (int i = 0; i < TrafficHistory.POINTS + 50; i++) {
            history.record(i * 1000L, cluster(i, 0, 1));
        }
        JsonNode t = render().path("t");
        assertEquals(TrafficHistory.POINTS, t.size());
        assertEquals(50_000L, t.get(0).asLong());
    }

    private JsonNode render() {
        return MetadataJson.mapper().valueToTree(history.render());
    }

    private static JsonNode cluster(long requests, long timeouts, double p50) {
        Map<String, Object> v = Map.of("version", "v1", "requests", requests, "errors", timeouts == 0 ? Map.of() : Map.of("timeout", timeouts),
                "p50Ms", p50, "p99Ms", p50, "queueDepth", 3, "pending", 1, "inUse", 1, "available", 1);
        return MetadataJson.mapper().valueToTree(Map.of("pools", Map.of("echo", List.of(v))));
    }

    private static List<Double> doubles(JsonNode array) {
        return java.util.stream.StreamSupport.stream(array.spliterator(), false).map(n -> n.isNull() ? null : n.asDouble()).toList();
    }

    private static List<Long> longs(JsonNode array) {
        return java.util.stream.StreamSupport.stream(array.spliterator(), false).map(JsonNode::asLong).toList();
    }
}
