package katamari.bench;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** {@link ServerCpu} on this very JVM, read from the real /proc: a JVM that ran anything has compiled something. */
class ServerCpuTest {
    private static final long SELF = ProcessHandle.current().pid();

    @Test
    void hotspots_compiler_threads_are_told_apart_from_the_rest_by_their_proc_names() {
        assertTrue(ServerCpu.isCompilerThread("C2 CompilerThre"));
        assertTrue(ServerCpu.isCompilerThread("C1 CompilerThre"));
        assertFalse(ServerCpu.isCompilerThread("JettyServerThre"));
        assertFalse(ServerCpu.isCompilerThread("Sweeper thread"));
        assertTrue(ServerCpu.compilerThreads(SELF) >= 1, "this JVM has compiler threads under those names");
    }

    @Test
    void the_compilers_cpu_is_a_part_of_the_processes_cpu_and_not_nothing_in_a_jvm_that_started_junit() {
        double jit = ServerCpu.jitSeconds(SELF);
        double all = ServerCpu.seconds(SELF);
        assertTrue(jit > 0, "starting JUnit compiled code: " + jit + " s");
        assertTrue(jit < all, jit + " s of compilers within " + all + " s in all");
    }
}
