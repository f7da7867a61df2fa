package katamari.worker.supervisor;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CommandPolicyTest {
    @TempDir
    Path dir;

    @Test
    void a_listed_name_is_allowed() {
        assertNull(new CommandPolicy(List.of("java")).refusal(List.of("java", "-jar", "x.jar")));
    }

    @Test
    void a_file_under_a_listed_directory_is_allowed_and_one_outside_is_not() throws IOException {
        Path inside = Files.createFile(dir.resolve("chassis.sh"));
        CommandPolicy policy = new CommandPolicy(List.of(dir.toString()));
        assertNull(policy.refusal(List.of(inside.toString())));
        String refusal = policy.refusal(List.of("/bin/sh", "-c", "echo pwned"));
        assertTrue(refusal.contains("'/bin/sh' is not in worker.allowedCommands"), refusal);
    }

    @Test
    void a_path_that_climbs_out_of_a_listed_directory_is_refused() {
        String refusal = new CommandPolicy(List.of(dir.toString())).refusal(List.of(dir + "/../../bin/sh"));
        assertTrue(refusal != null && refusal.contains("not in worker.allowedCommands"), String.valueOf(refusal));
    }

    @Test
    void an_empty_allow_list_allows_nothing() {
        assertTrue(new CommandPolicy(List.of()).refusal(List.of("java")) != null);
    }
}
