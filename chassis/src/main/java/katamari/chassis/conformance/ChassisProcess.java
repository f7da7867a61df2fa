package katamari.chassis.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import katamari.chassis.protocol.ChassisMessage;
import katamari.chassis.protocol.ProtocolCodec;
import katamari.topics.MalformedRecordException;
import katamari.topics.WireCodec;

/**
 * The chassis under test, run the way a worker agent runs it: an argv without a shell, a scrubbed environment,
 * stdin/stdout for the protocol. Its stdout is read by a thread that classifies every line; stdin is written by
 * another so that a chassis that stops reading cannot block the kit.
 */
final class ChassisProcess implements AutoCloseable {
    private static final int STDERR_TAIL = 15;
    private static final Set<String> AGENT_ONLY = Set.of("call", "ping", "call_result", "call_error");

    /** What the reader saw: a line of stdout, or the end of the process. */
    sealed interface Event {}

    /** One stdout line; {@code problem} is null when it is a protocol line a chassis may send. */
    record Line(int number, String text, ChassisMessage message, JsonNode json, String problem) implements Event {}

    record Exited(int status) implements Event {}

    private final Process process;
    private final OutputStream stdin;
    private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    private final List<Line> violations = new ArrayList<>();
    private final Deque<String> stderrTail = new ArrayDeque<>();
    private final java.util.concurrent.CountDownLatch stdoutRead = new java.util.concurrent.CountDownLatch(1);
    private final ExecutorService writer = Executors.newSingleThreadExecutor(daemon("chassis-stdin"));
    private int lines;
    private volatile Integer exitStatus;

    private ChassisProcess(Process process) {
        this.process = process;
        this.stdin = process.getOutputStream();
    }

    static ChassisProcess start(List<String> command, Path directory, Collection<String> inheritEnv) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(command);
        if (directory != null) {
            builder.directory(directory.toFile());
        }
        Map<String, String> env = builder.environment();
        Map<String, String> own = System.getenv();
        env.clear();
        inheritEnv.stream().filter(own::containsKey).forEach(name -> env.put(name, own.get(name)));
        env.put("KATAMARI_POOL", "conformance");
        env.put("KATAMARI_VERSION", "check");
        env.put("KATAMARI_INSTANCE", "check-1");
        ChassisProcess chassis = new ChassisProcess(builder.start());
        daemon("chassis-stdout").newThread(chassis::readStdout).start();
        daemon("chassis-stderr").newThread(chassis::readStderr).start();
        return chassis;
    }

    /** Writes one line; false when the chassis did not take it within {@code timeout} or its stdin is closed. */
    boolean send(String line, Duration timeout) {
        Future<?> write = writer.submit(() -> {
            stdin.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            stdin.flush();
            return null;
        });
        try {
            write.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            write.cancel(true);
            return false;
        } catch (ExecutionException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** The next event, or null when none came within {@code timeout}. */
    Event next(Duration timeout) {
        try {
            return events.poll(Math.max(0, timeout.toMillis()), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    void closeStdin() {
        writer.submit(() -> {
            stdin.close();
            return null;
        });
    }

    /** The exit status once the process ended within {@code timeout}, else null. */
    Integer awaitExit(Duration timeout) {
        try {
            return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS) ? process.exitValue() : null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    synchronized List<Line> violations() {
        return List.copyOf(violations);
    }

    synchronized int lineCount() {
        return lines;
    }

    synchronized String stderrTail() {
        return String.join("\n", stderrTail);
    }

    String command() {
        return process.info().commandLine().orElse("the chassis");
    }

    private void readStdout() {
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String text;
            while ((text = reader.readLine()) != null) {
                Line line = classify(text);
                events.add(line);
            }
        } catch (IOException e) {
            // the process is gone; its status says how
        }
        try {
            exitStatus = process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            exitStatus = -1;
        }
        events.add(new Exited(exitStatus));
        stdoutRead.countDown();
    }

    /** Waits until every line the process wrote has been read and classified. */
    void awaitStdoutRead(Duration timeout) {
        try {
            stdoutRead.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private synchronized Line classify(String text) {
        int number = ++lines;
        Line line;
        if (text.isBlank()) {
            line = new Line(number, text, null, null, "an empty line (the agent reads every line as a protocol message)");
        } else {
            JsonNode json = null;
            try {
                json = WireCodec.parse(text);
                ChassisMessage message = ProtocolCodec.decode(text);
                String type = json.path("type").asText();
                line = AGENT_ONLY.contains(type)
                        ? new Line(number, text, null, json, "a '" + type + "' message, which only the agent sends")
                        : new Line(number, text, message, json, null);
            } catch (MalformedRecordException e) {
                String why = json == null
                        ? "not JSON (" + e.getMessage() + "): did something print to stdout? Logs belong on stderr"
                        : e.getMessage();
                line = new Line(number, text, null, json, why);
            }
        }
        if (line.problem() != null) {
            violations.add(line);
        }
        return line;
    }

    private void readStderr() {
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
            String text;
            while ((text = reader.readLine()) != null) {
                synchronized (this) {
                    stderrTail.addLast(text.length() > 300 ? text.substring(0, 300) + "..." : text);
                    if (stderrTail.size() > STDERR_TAIL) {
                        stderrTail.removeFirst();
                    }
                }
            }
        } catch (IOException e) {
            // closed with the process
        }
    }

    /** Kills the chassis and anything it started. */
    @Override
    public void close() {
        writer.shutdownNow();
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        awaitExit(Duration.ofSeconds(5));
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }
}
