package katamari.worker.supervisor;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An instance's stderr: every line goes to the agent's log tagged with the instance, at most
 * {@link #LINES_PER_SECOND} a second so a chatty instance cannot flood the log; the last lines are kept for
 * failure reports.
 */
final class StderrLog {
    static final int LINES_PER_SECOND = 50;
    private static final int TAIL_LINES = 20;
    private static final Logger LOG = LoggerFactory.getLogger("katamari.instance");

    private final String tag;
    private final Deque<String> tail = new ArrayDeque<>();
    private long windowStart;
    private int inWindow;
    private long dropped;

    StderrLog(String tag) {
        this.tag = tag;
    }

    /** Reads {@code stderr} line by line until the process closes it; runs on a thread of its own. */
    void drain(InputStream stderr) {
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(stderr, StandardCharsets.UTF_8))) {
            for (String l = reader.readLine(); l != null; l = reader.readLine()) {
                line(l);
            }
        } catch (IOException e) {
            // stream closed with the process
        }
    }

    synchronized void line(String line) {
        tail.addLast(line);
        if (tail.size() > TAIL_LINES) {
            tail.removeFirst();
        }
        long now = System.nanoTime();
        if (now - windowStart > 1_000_000_000L) {
            if (dropped > 0) {
                LOG.warn("[{}] {} stderr lines not logged (over {} lines/s)", tag, dropped, LINES_PER_SECOND);
            }
            windowStart = now;
            inWindow = 0;
            dropped = 0;
        }
        if (++inWindow <= LINES_PER_SECOND) {
            LOG.info("[{}] {}", tag, line);
        } else {
            dropped++;
        }
    }

    synchronized String tail() {
        return String.join("\n", tail);
    }
}
