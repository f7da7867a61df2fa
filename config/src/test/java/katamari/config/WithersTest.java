package katamari.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code defaults()} plus {@code withX}: each changes its one field, keeps the others, and validates like the file. */
class WithersTest {
    private static final List<String> CAT = List.of("/bin/cat");

    @Test
    void a_pool_built_from_its_name_and_command_has_the_file_defaults() {
        PoolDefinition fromCode = PoolDefinition.of("echo", "v1", CAT);
        PoolDefinition fromFile = new PoolDefinition("echo", "v1", CAT, null, null, null, null, null, null, null, null, null, null);
        assertEquals(fromFile, fromCode);
        assertEquals(1, fromCode.instances());
        assertEquals(Duration.ofSeconds(30), fromCode.timeout());
        assertEquals(List.of("PATH"), fromCode.inheritEnv());
    }

    @Test
    void each_pool_wither_sets_its_field_and_keeps_the_rest() {
        PoolDefinition p = PoolDefinition.of("echo", "v1", CAT).withInstances(3).withTimeout(Duration.ofSeconds(5)).withAttempts(1)
                .withMaxRssMb(200).withMaxRequests(50).withEnv(Map.of("A", "b")).withInheritEnv(List.of()).withPrefetch(4)
                .withPipeline(true).withWeight(7).withCommand(List.of("/bin/sh")).withVersion("v2")
                .withHedge(Duration.ofMillis(50), 20).withCache(Map.of("count", Duration.ofMinutes(1)), 5000).withAutoscale(Autoscale.between(1, 8))
                .withCancelRunning(true);
        assertEquals(new PoolDefinition("echo", "v2", List.of("/bin/sh"), 3, Duration.ofSeconds(5), 1, 200, 50, Map.of("A", "b"),
                List.of(), 7, 4, true, Duration.ofMillis(50), 20, Map.of("count", Duration.ofMinutes(1)), 5000, Autoscale.between(1, 8), true), p);
        assertTrue(p.cancelsRunning());
        assertFalse(PoolDefinition.of("echo", "v1", CAT).cancelsRunning(), "cancelRunning is off by default");
    }

    @Test
    void a_pool_wither_validates_like_the_file() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PoolDefinition.of("echo", "v1", CAT).withPrefetch(0));
        assertTrue(e.getMessage().contains("prefetch must be 1-64"), e.getMessage());
        IllegalArgumentException c = assertThrows(IllegalArgumentException.class,
                () -> PoolDefinition.of("echo", "v1", CAT).withCache(Map.of("count", Duration.ZERO), null));
        assertTrue(c.getMessage().contains("cache.count must be a duration of 1s to 24h"), c.getMessage());
    }

    @Test
    void each_worker_wither_sets_its_field_and_keeps_the_rest() {
        Duration s = Duration.ofSeconds(1);
        WorkerSettings w = WorkerSettings.defaults().withLaunchTimeout(s.multipliedBy(2)).withReplyTimeout(s.multipliedBy(3))
                .withKillGrace(s.multipliedBy(4)).withPingInterval(s.multipliedBy(5)).withPingTimeout(s.multipliedBy(6))
                .withMaxBackoff(s.multipliedBy(7)).withHealthyAfter(s.multipliedBy(8)).withDegradedAfter(9)
                .withMemoryCheck(s.multipliedBy(10)).withAllowedCommands(List.of("java")).withId("w1");
        assertEquals(new WorkerSettings(s.multipliedBy(2), s.multipliedBy(3), s.multipliedBy(4), s.multipliedBy(5), s.multipliedBy(6),
                s.multipliedBy(7), s.multipliedBy(8), 9, s.multipliedBy(10), List.of("java"), "w1"), w);
        assertEquals(WorkerSettings.defaults().withAllowedCommands(List.of("java")).pingTimeout(), WorkerSettings.defaults().pingTimeout());
    }

    @Test
    void the_worker_defaults_are_those_of_an_empty_file() {
        assertEquals(new ConfigLoader(Map.of()).read(null).worker(), WorkerSettings.defaults());
        assertEquals(new ConfigLoader(Map.of()).read(null).cluster(), ClusterSettings.defaults());
        assertEquals(new ConfigLoader(Map.of()).read(null).gateway(), GatewaySettings.defaults());
    }

    @Test
    void each_cluster_wither_sets_its_field_and_keeps_the_rest() {
        ClusterSettings c = ClusterSettings.defaults().withName("it").withMember("127.0.0.1", 5702, 8091)
                .withMembers(List.of("127.0.0.1:5701", "127.0.0.1:5702", "127.0.0.1:5703")).withCpMemberCount(3)
                .withMemberTimeout(Duration.ofSeconds(6)).withCpMemberRemoval(Duration.ofSeconds(7)).withAdminHost("127.0.0.2")
                .withAdminKey("k").withAdminOpen(true).withWorkerHeartbeat(Duration.ofSeconds(2)).withWorkerTtl(Duration.ofSeconds(8))
                .withWorkerCapacity(4).withGatewayTtl(Duration.ofSeconds(9));
        assertEquals(new ClusterSettings("it", "127.0.0.1", 5702, List.of("127.0.0.1:5701", "127.0.0.1:5702", "127.0.0.1:5703"), 3,
                Duration.ofSeconds(4), Duration.ofSeconds(1), Duration.ofSeconds(6), Duration.ofSeconds(7), "127.0.0.2", 8091, "k", true,
                Duration.ofSeconds(2), Duration.ofSeconds(8), 4, Duration.ofSeconds(9)), c);
    }

    @Test
    void a_cluster_wither_validates_like_the_file() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ClusterSettings.defaults().withCpMemberCount(3));
        assertTrue(e.getMessage().contains("needs at least as many members"), e.getMessage());
    }

    @Test
    void each_gateway_wither_sets_its_field_and_keeps_the_rest() {
        GatewaySettings g = GatewaySettings.defaults().withHost("127.0.0.2").withPort(0).withId("gw").withTimeout(Duration.ofSeconds(2))
                .withMaxBodyBytes(10).withMaxPending(11).withLimits(12, 13).withMaxBatch(14).withMaxQuorum(7).withOpen(true);
        assertEquals(new GatewaySettings("127.0.0.2", 0, "gw", Duration.ofSeconds(2), 10, 11, 12, 13, 14, 7, Map.of(), true), g);
    }

    @Test
    void a_quorum_ceiling_must_be_odd_and_positive() {
        for (int bad : new int[] {0, 4, -1}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GatewaySettings.defaults().withMaxQuorum(bad));
            assertTrue(e.getMessage().contains("gateway.maxQuorum"), e.getMessage());
        }
        assertEquals(GatewaySettings.DEFAULT_MAX_QUORUM, GatewaySettings.defaults().maxQuorum());
    }
}
