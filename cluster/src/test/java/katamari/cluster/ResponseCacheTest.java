package katamari.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.hazelcast.core.HazelcastInstance;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import katamari.config.ClusterSettings;
import katamari.config.PoolDefinition;
import katamari.topics.WireCodec;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link ResponseCache} on a real member (a dispatcher's config) and a real client with the gateways' near cache, in
 * a cluster of their own: what an agent stores a gateway finds, under the same key whatever the argument order.
 */
class ResponseCacheTest {
    private static final PoolDefinition POOL = PoolDefinition.of("wc", "v1", List.of("python3", "wc.py"))
            .withCache(Map.of("count", Duration.ofSeconds(30), "quick", Duration.ofSeconds(1)), 2000);
    private static HazelcastInstance member;
    private static HazelcastInstance gatewayClient;

    @BeforeAll
    static void start() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        ClusterSettings settings = ClusterSettings.defaults().withName("rc-" + UUID.randomUUID().toString().substring(0, 8))
                .withMember("127.0.0.1", port, 0).withMembers(List.of("127.0.0.1:" + port));
        member = HazelcastSetup.startMember(settings);
        gatewayClient = HazelcastSetup.startGatewayClient(settings, "rc-gateway");
    }

    @AfterAll
    static void stop() {
        if (gatewayClient != null) {
            gatewayClient.shutdown();
        }
        if (member != null) {
            member.shutdown();
        }
    }

    private static JsonNode json(String text) {
        return WireCodec.parse(text);
    }

    @Test
    void what_an_agent_stored_a_gateway_finds_in_any_key_order_and_from_its_near_cache() {
        new ResponseCache(member).store(POOL, "count", json("{\"text\":\"a b\",\"n\":1}"), json("{\"words\":2}"));
        ResponseCache gateway = new ResponseCache(gatewayClient);
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> gateway.lookup(POOL, "count", json("{\"n\":1,\"text\":\"a b\"}")).isPresent());
        assertEquals(json("{\"words\":2}"), gateway.lookup(POOL, "count", json("{\"n\":1,\"text\":\"a b\"}")).orElseThrow());
        assertEquals(Optional.empty(), gateway.lookup(POOL, "count", json("{\"n\":2,\"text\":\"a b\"}")), "other arguments");
        assertEquals(Optional.empty(), gateway.lookup(POOL, "other", json("{\"n\":1,\"text\":\"a b\"}")), "a method not cached");
        assertEquals(Optional.empty(), gateway.lookup(POOL.withCommand(List.of("python3", "wc2.py")), "count", json("{\"n\":1,\"text\":\"a b\"}")),
                "a redefined version starts empty");
        assertEquals(Optional.empty(), gateway.lookup(POOL.withVersion("v2"), "count", json("{\"n\":1,\"text\":\"a b\"}")), "another version");
        // A client's near cache takes an entry in after the read's future completed, and the member's invalidation of
        // the store can still arrive and drop it, so the first repeat may go to the member: ask until one is a hit.
        Awaitility.await("a repeated lookup served from the gateway's near cache").atMost(Duration.ofSeconds(5)).until(() -> {
            gateway.lookup(POOL, "count", json("{\"text\":\"a b\",\"n\":1}"));
            return gatewayClient.getMap(ResponseCache.mapName(POOL)).getLocalMapStats().getNearCacheStats().getHits() >= 1;
        });
    }

    @Test
    void an_answer_is_found_until_its_methods_time_and_not_after() {
        ResponseCache cache = new ResponseCache(gatewayClient);
        cache.store(POOL, "quick", json("{}"), json("1"));
        Awaitility.await().atMost(Duration.ofSeconds(1)).until(() -> cache.lookup(POOL, "quick", json("{}")).isPresent());
        long start = System.nanoTime();
        Awaitility.await().atMost(Duration.ofSeconds(3)).pollInterval(Duration.ofMillis(20))
                .until(() -> cache.lookup(POOL, "quick", json("{}")).isEmpty());
        assertTrue(System.nanoTime() - start < Duration.ofMillis(1500).toNanos(), "gone soon after its 1s");
    }

    @Test
    void each_version_map_is_bounded_by_its_own_cache_max_entries_and_named_the_same_in_every_process() {
        Map<String, Duration> reordered = new LinkedHashMap<>();
        reordered.put("quick", Duration.ofSeconds(1));
        reordered.put("count", Duration.ofSeconds(30));
        PoolDefinition same = PoolDefinition.of("wc", "v1", List.of("python3", "wc.py")).withCache(reordered, 2000).withInstances(3);
        assertEquals(ResponseCache.mapName(POOL), ResponseCache.mapName(same), "instances and map order do not change the map");
        assertNotEquals(ResponseCache.mapName(POOL), ResponseCache.mapName(POOL.withCache(POOL.cache(), 3000)));
        new ResponseCache(gatewayClient).entries(POOL);
        assertEquals(2000, member.getConfig().findMapConfig(ResponseCache.mapName(POOL)).getEvictionConfig().getSize());
        assertEquals(ResponseCache.FALLBACK_ENTRIES, member.getConfig().findMapConfig("katamari.cache.never.opened.x").getEvictionConfig().getSize());
    }
}
