package katamari.it.support;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** The output of a role a test started as its own process (e.g. {@code bin/katamari dev}), kept and echoed. */
public final class ProcessOutput {
    private ProcessOutput() {}

    /** Adds each line {@code p} prints to {@code sink} (echoed as {@code [dev] ...} for the report) until it ends. */
    public static void readLines(Process p, List<String> sink) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                sink.add(line);
                System.out.println("[dev] " + line);
            }
        } catch (IOException e) {
            // the process ended
        }
    }
}
