package katamari.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import katamari.bench.Bench;
import katamari.it.support.KafkaFixture;
import katamari.it.support.Katamari;
import org.junit.jupiter.api.Test;

/** The benchmark tool runs, on a tiny workload: its floors against the real broker and a real chassis. (No timing is judged.) */
class BenchToolTest {
    @Test
    void the_floors_run_end_to_end_on_a_tiny_workload() throws Exception {
        int code = Bench.run("pipe,kafka-classic,kafka-share", "http://127.0.0.1:1", KafkaFixture.bootstrapServers(),
                5, 20, 1, 2, "async", 500, 500, Katamari.echoCommand(), 1, 1, "echo");
        assertEquals(0, code);
    }
}
