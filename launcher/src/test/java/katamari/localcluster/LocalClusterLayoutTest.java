package katamari.localcluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalClusterLayoutTest {
    @TempDir
    Path dir;

    private LocalCluster cluster(ClusterLayout layout) {
        return new LocalCluster(layout);
    }

    @Test
    void every_role_of_the_standard_cluster_has_ports_of_its_own_inside_the_block() {
        LocalCluster c = cluster(ClusterLayout.standard(30_000, dir, dir));
        Set<Integer> seen = new HashSet<>();
        for (Role r : c.roles()) {
            for (int port : r.ports().values()) {
                assertTrue(seen.add(port), "port " + port + " of " + r.name() + " is used twice");
                assertTrue(port >= 30_000 && port < 30_060, r.name() + " " + port);
            }
        }
        assertEquals(List.of("broker-1", "broker-2", "broker-3", "dispatcher-1", "dispatcher-2", "dispatcher-3", "worker-1", "worker-2",
                "gateway-1", "gateway-2"), c.roles().stream().map(Role::name).toList());
    }

    @Test
    void urls_and_bootstrap_name_every_gateway_dispatcher_and_broker() {
        LocalCluster c = cluster(ClusterLayout.standard(30_000, dir, dir));
        assertEquals("127.0.0.1:30000,127.0.0.1:30001,127.0.0.1:30002", c.bootstrap());
        assertEquals(List.of("http://127.0.0.1:30040", "http://127.0.0.1:30041"), c.gatewayUrls());
        assertEquals(3, c.adminUrls().size());
    }

    @Test
    void the_admin_key_is_kept_in_the_cluster_folder_across_runs() {
        String first = cluster(ClusterLayout.standard(30_000, dir, dir)).adminKey();
        assertEquals(first, cluster(ClusterLayout.standard(30_000, dir, dir)).adminKey());
        assertEquals(32, first.length());
    }

    @Test
    void an_even_number_of_brokers_is_refused_because_a_kraft_quorum_needs_a_majority() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ClusterLayout.standard(30_000, dir, dir).withCounts(2, 3, 2, 2));
        assertTrue(e.getMessage().contains("1, 3 or 5"), e.getMessage());
    }

    @Test
    void a_role_that_was_never_started_cannot_be_signalled() {
        LocalCluster c = cluster(ClusterLayout.standard(30_000, dir, dir));
        assertThrows(IllegalStateException.class, () -> c.kill9("worker-1"));
        assertThrows(IllegalArgumentException.class, () -> c.kill9("worker-9"));
    }

    @Test
    void a_worker_can_be_added_only_to_a_started_cluster() {
        LocalCluster c = cluster(ClusterLayout.standard(30_000, dir, dir));
        IllegalStateException e = assertThrows(IllegalStateException.class, c::addWorker);
        assertTrue(e.getMessage().contains("only to a started cluster (state NEW)"), e.getMessage());
        assertEquals(2, c.roles(RoleKind.WORKER).size());
    }
}
