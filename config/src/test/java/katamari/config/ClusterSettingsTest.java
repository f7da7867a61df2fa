package katamari.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClusterSettingsTest {
    @TempDir
    Path dir;

    @Test
    void defaults_are_one_member_on_localhost_in_unsafe_mode_with_no_admin_key() {
        ClusterSettings c = new ConfigLoader(Map.of()).read(null).cluster();
        assertEquals(List.of("127.0.0.1:5701"), c.members());
        assertEquals(0, c.cpMemberCount());
        assertEquals("127.0.0.1", c.adminHost());
        assertNull(c.adminKey());
        assertFalse(c.adminOpen());
        assertEquals(Duration.ofSeconds(4), c.sessionTtl());
    }

    @Test
    void the_master_list_comes_from_the_file_and_the_key_from_the_environment() throws IOException {
        Path f = Files.writeString(dir.resolve("k.yaml"), """
                cluster:
                  members: [127.0.0.1:5701, 127.0.0.1:5702, 127.0.0.1:5703]
                  cpMemberCount: 3
                  workerTtl: 6s
                """);
        ClusterSettings c = new ConfigLoader(Map.of("KATAMARI_CLUSTER_ADMIN_KEY", "s3cret", "KATAMARI_CLUSTER_PORT", "5702")).read(f).cluster();
        assertEquals(3, c.cpMemberCount());
        assertEquals(1, c.priorityOf(c.self()));
        assertEquals(3, c.priorityOf("10.0.0.9:5701"), "an unlisted dispatcher comes last");
        assertEquals("s3cret", c.adminKey());
        assertFalse(c.toString().contains("s3cret"), "the key is never printed");
        assertEquals(Duration.ofSeconds(6), c.workerTtl());
    }

    @Test
    void more_cp_members_than_listed_members_is_refused() throws IOException {
        Path f = Files.writeString(dir.resolve("k.yaml"), "cluster:\n  members: [127.0.0.1:5701]\n  cpMemberCount: 3\n");
        ConfigException e = assertThrows(ConfigException.class, () -> new ConfigLoader(Map.of()).read(f));
        assertTrue(e.getMessage().contains("cpMemberCount 3 needs at least as many members"), e.getMessage());
    }

    @Test
    void one_box_mode_opens_the_admin_api_only_without_a_key() {
        assertTrue(ClusterSettings.defaults().forOneBox(5701, 8090).adminOpen());
        ClusterSettings keyed = ClusterSettings.defaults().withAdminKey("k");
        assertFalse(keyed.forOneBox(5701, 8090).adminOpen());
    }
}
