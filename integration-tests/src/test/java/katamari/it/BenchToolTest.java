package katamari.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.List;
import katamari.bench.Bench;
import katamari.it.support.KafkaFixture;
import katamari.it.support.Katamari;
import org.junit.jupiter.api.Test;

/** The benchmark tool runs, on a tiny workload: its floors against the real broker and a real chassis. (No timing is judged.) */
class BenchToolTest {
    @Test
    void the_floors_run_end_to_end_on_a_tiny_workload() throws Exception {
        Bench.Options tiny = new Bench.Options("pipe,kafka-classic,kafka-share,kafka-c-classic,kafka-c-share", "http://127.0.0.1:1",
                KafkaFixture.bootstrapServers(), Bench.Workload.ECHO, 5, 20, 1, 2, "async", 500, 500, 1, Katamari.echoCommand(),
                4, 1, 1, "echo", List.of(1), List.of(true), 4, List.of(1), 16, 1, Path.of(".."));
        assertEquals(0, Bench.run(tiny));
    }
}
