package katamari.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import katamari.bench.Bench;
import katamari.it.support.KafkaFixture;
import katamari.it.support.Katamari;
import org.junit.jupiter.api.Test;

/** The benchmark tool runs, on a tiny workload: its floors against the real broker and a real chassis. (No timing is judged.) */
class BenchToolTest {
    @Test
    void the_floors_run_end_to_end_on_a_tiny_workload() throws Exception {
        Bench.Options tiny = options("pipe,kafka-classic,kafka-share,kafka-c-classic,kafka-c-share", "http://127.0.0.1:1", 0);
        assertEquals(0, Bench.run(tiny));
    }

    /**
     * wrk (Debian's, which bin/test installs) drives a real gateway, and the bench reads the server's CPU from /proc:
     * here the server is this JVM with its chassis processes. Asserts that every request was answered and that the
     * figures were parsed from wrk's own output (a run with no CPU or no requests would print NaN or 0), with the JIT
     * compilers' share of the server's CPU.
     */
    @Test
    void the_wrk_modes_drive_the_gateway_and_count_the_servers_cpu_per_request() throws Exception {
        try (Katamari k = Katamari.start(2, Duration.ofSeconds(10))) {
            String out = printed(() -> Bench.run(options("wrk,wrk-seq", k.url(""), ProcessHandle.current().pid())));
            Matcher m = Pattern.compile("MEDIAN of 1: (\\d+) req/s p50=([0-9.]+) p99=([0-9.]+) ms server CPU (\\d+) us/request, JIT compilers (\\d+) %")
                    .matcher(out);
            int medians = 0;
            while (m.find()) {
                medians++;
                assertTrue(Long.parseLong(m.group(1)) > 0, out);
                assertTrue(Double.parseDouble(m.group(2)) > 0 && Double.parseDouble(m.group(3)) >= Double.parseDouble(m.group(2)), out);
                assertTrue(Long.parseLong(m.group(4)) > 0, "a request costs the server some CPU: " + out);
                assertTrue(Long.parseLong(m.group(5)) <= 100, "the compilers' share of the server's CPU is a share: " + out);
            }
            assertEquals(2, medians, "one median line per wrk mode: " + out);
            assertTrue(out.contains("errors=0"), out);
            assertTrue(!out.matches("(?s).*errors=[1-9].*"), "no failed request: " + out);
        }
    }

    private static Bench.Options options(String modes, String gateway, long serverPid) {
        return new Bench.Options(modes, gateway, KafkaFixture.bootstrapServers(), Bench.Workload.ECHO, 5, 20, 1, 2, "async", 500, 500, 1,
                Katamari.echoCommand(), 4, 1, 1, "echo", List.of(1), List.of(true), 4, List.of(1), 16, 1, Path.of(".."), serverPid, null);
    }

    private interface Action {
        int run() throws Exception;
    }

    /** What {@code action} printed on standard output (the bench prints its figures there), echoed for the report. */
    private static String printed(Action action) throws Exception {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            assertEquals(0, action.run());
        } finally {
            System.setOut(original);
        }
        String out = captured.toString(StandardCharsets.UTF_8);
        System.out.print(out);
        return out;
    }
}
