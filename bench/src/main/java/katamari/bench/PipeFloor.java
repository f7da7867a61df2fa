package katamari.bench;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** The pipe floor: one persistent echo chassis, JSON lines over its stdin/stdout, no Kafka, no HTTP. */
final class PipeFloor {
    private final List<String> command;
    private final Bench.Workload workload;

    PipeFloor(List<String> command, Bench.Workload workload) {
        this.command = command;
        this.workload = workload;
    }

    Latencies run(int warmup, int count) throws Exception {
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try {
            OutputStream in = p.getOutputStream();
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String hello = out.readLine();
            if (hello == null || !hello.contains("\"hello\"")) {
                throw new IllegalStateException("no hello from " + command + ": " + hello);
            }
            for (int i = 0; i < warmup; i++) {
                call(in, out, i);
            }
            Latencies l = new Latencies(count);
            for (int i = 0; i < count; i++) {
                long t0 = System.nanoTime();
                call(in, out, warmup + i);
                l.add(System.nanoTime() - t0);
            }
            return l;
        } finally {
            p.getOutputStream().close();
            p.destroy();
        }
    }

    private void call(OutputStream in, BufferedReader out, int i) throws Exception {
        String id = "c" + i;
        in.write(("{\"type\":\"call\",\"id\":\"" + id + "\",\"method\":\"" + workload.method + "\",\"args\":" + workload.args
                + ",\"deadline\":" + (System.currentTimeMillis() + 30_000) + "}\n").getBytes(StandardCharsets.UTF_8));
        in.flush();
        String line = out.readLine();
        if (line == null || !line.contains("\"" + id + "\"")) {
            throw new IllegalStateException("unexpected answer: " + line);
        }
    }
}
