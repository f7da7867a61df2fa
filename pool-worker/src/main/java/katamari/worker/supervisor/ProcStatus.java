package katamari.worker.supervisor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** What Linux says about a process in {@code /proc/<pid>/status}. */
final class ProcStatus {
    private ProcStatus() {}

    /** Resident set size in kB; -1 where that is unavailable (the process is gone, or this is not Linux). */
    static long rssKb(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | RuntimeException e) {
            // the process is gone, or this is not Linux
        }
        return -1;
    }
}
