package katamari.worker.supervisor;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes sure no instance outlives its agent, even when the agent is killed with SIGKILL and runs no shutdown code.
 *
 * <p>One small watchdog process per agent reads "+pid" / "-pid" lines on a pipe from the agent. When the agent
 * dies, however it dies, the kernel closes the pipe; the watchdog reads end-of-file and sends SIGTERM, then
 * SIGKILL, to every instance still listed. The script is fixed text run by {@code /bin/sh}; no user input reaches
 * it, and instance commands themselves are never run through a shell.
 */
public final class OrphanGuard implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(OrphanGuard.class);
    private static final String SCRIPT = """
            trap '' INT TERM HUP
            pids=" "
            while read -r op pid; do
              case "$op" in
                +) pids="$pids$pid " ;;
                -) pids=$(printf '%s' "$pids" | sed "s/ $pid / /") ;;
              esac
            done
            if [ -n "${pids# }" ]; then
              kill -TERM $pids 2>/dev/null
              sleep 2
              kill -KILL $pids 2>/dev/null
            fi
            """;

    private final Process watchdog;
    private final OutputStream pipe;

    public OrphanGuard() {
        Process p = null;
        try {
            p = new ProcessBuilder("/bin/sh", "-c", SCRIPT, "katamari-orphan-guard")
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectError(ProcessBuilder.Redirect.INHERIT)
                    .start();
        } catch (IOException e) {
            LOG.warn("cannot start the orphan guard (/bin/sh): instances that ignore stdin closing may outlive a killed agent", e);
        }
        watchdog = p;
        pipe = p == null ? null : p.getOutputStream();
    }

    public synchronized void track(long pid) {
        write("+ " + pid + "\n");
    }

    public synchronized void untrack(long pid) {
        write("- " + pid + "\n");
    }

    private void write(String line) {
        if (pipe == null) {
            return;
        }
        try {
            pipe.write(line.getBytes(StandardCharsets.US_ASCII));
            pipe.flush();
        } catch (IOException e) {
            LOG.warn("orphan guard is gone: {}", e.getMessage());
        }
    }

    /** Ends the watchdog; whatever it still lists is stopped, as on agent death. */
    @Override
    public synchronized void close() {
        if (pipe != null) {
            try {
                pipe.close();
                watchdog.waitFor();
            } catch (IOException e) {
                // already gone
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
