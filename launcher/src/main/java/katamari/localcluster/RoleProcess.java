package katamari.localcluster;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One role's JVM: started from a fixed command line (so a restart is the same role), its output appended to its log
 * file (so it outlives this process's pipes), ready when the log shows the role's ready line since the last start.
 */
final class RoleProcess {
    private final String name;
    private final RoleKind kind;
    private final Map<String, Integer> ports;
    private final List<String> command;
    private final Map<String, String> env;
    private final Path log;
    private final String readyLine;
    private final Consumer<String> progress;
    /** Descendants (chassis instances) seen at a kill, so close() can end any the worker's own guard left behind. */
    private final Set<ProcessHandle> leftBehind = ConcurrentHashMap.newKeySet();
    private volatile Process process;
    private volatile long logOffset;
    private volatile boolean exitExpected;

    RoleProcess(String name, RoleKind kind, Map<String, Integer> ports, List<String> command, Map<String, String> env, Path log,
                String readyLine, Consumer<String> progress) {
        this.name = name;
        this.kind = kind;
        this.ports = Map.copyOf(ports);
        this.command = List.copyOf(command);
        this.env = Map.copyOf(env);
        this.log = log;
        this.readyLine = readyLine;
        this.progress = progress;
    }

    String name() {
        return name;
    }

    RoleKind kind() {
        return kind;
    }

    synchronized void start() {
        if (alive()) {
            throw new IllegalStateException(name + " is already running (pid " + process.pid() + ")");
        }
        try {
            Files.createDirectories(log.getParent());
            logOffset = Files.exists(log) ? Files.size(log) : 0;
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            pb.environment().putAll(env);
            exitExpected = false;
            Process p = pb.start();
            process = p;
            p.onExit().thenAccept(done -> {
                if (!exitExpected && process == done) {
                    progress.accept(name + " exited on its own with code " + done.exitValue() + "; see " + log);
                }
            });
        } catch (IOException e) {
            throw new IllegalStateException("cannot start " + name + ": " + e.getMessage(), e);
        }
    }

    /** Waits for the ready line printed since the last start; fails at once if the process exits. */
    void awaitReady(Duration atMost) {
        long deadline = System.nanoTime() + atMost.toNanos();
        while (!printedSinceStart(readyLine)) {
            if (!alive()) {
                throw new IllegalStateException(name + " exited with code " + process.exitValue() + " before it was ready; see " + log);
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(name + " was not ready within " + atMost.toSeconds() + " s; see " + log);
            }
            pause(Duration.ofMillis(50));
        }
    }

    private boolean printedSinceStart(String fragment) {
        try (RandomAccessFile f = new RandomAccessFile(log.toFile(), "r")) {
            long length = f.length() - logOffset;
            if (length <= 0) {
                return false;
            }
            byte[] bytes = new byte[(int) Math.min(length, 4 << 20)];
            f.seek(logOffset);
            f.readFully(bytes);
            return new String(bytes, StandardCharsets.UTF_8).contains(fragment);
        } catch (IOException e) {
            return false;
        }
    }

    boolean alive() {
        Process p = process;
        return p != null && p.isAlive();
    }

    Role snapshot() {
        Process p = process;
        return new Role(name, kind, ports, p == null ? -1 : p.pid(), p != null && p.isAlive(), log);
    }

    /** SIGKILL of the role's JVM alone, as a crash would: its chassis are left to the orphan guard. */
    void kill9() {
        Process p = requireAlive();
        exitExpected = true;
        p.descendants().forEach(leftBehind::add);
        p.destroyForcibly();
        awaitExit(p, Duration.ofSeconds(10));
    }

    /** SIGTERM and wait for a clean stop (SIGKILL after {@code grace}). */
    void terminate(Duration grace) {
        Process p = requireAlive();
        exitExpected = true;
        p.descendants().forEach(leftBehind::add);
        signal("CONT");
        p.destroy();
        if (!awaitExit(p, grace)) {
            p.destroyForcibly();
            awaitExit(p, Duration.ofSeconds(10));
        }
    }

    void signal(String sig) {
        Process p = requireAlive();
        try {
            int rc = new ProcessBuilder("kill", "-" + sig, String.valueOf(p.pid())).redirectErrorStream(true).start().waitFor();
            if (rc != 0) {
                throw new IllegalStateException("kill -" + sig + " " + p.pid() + " (" + name + ") exited " + rc);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot signal " + name, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while signalling " + name, e);
        }
    }

    /** Asks to stop (SIGCONT first, so a frozen role can), without waiting; {@link #finishStop} waits. */
    void beginStop() {
        Process p = process;
        if (p != null && p.isAlive()) {
            exitExpected = true;
            p.descendants().forEach(leftBehind::add);
            signal("CONT");
            p.destroy();
        }
    }

    /** Waits for the stop begun, SIGKILLs the role after {@code grace}, and ends any of its chassis still alive. */
    void finishStop(Duration grace) {
        Process p = process;
        if (p != null && !awaitExit(p, grace)) {
            p.descendants().forEach(leftBehind::add);
            p.destroyForcibly();
            awaitExit(p, Duration.ofSeconds(10));
        }
        List<ProcessHandle> still = new ArrayList<>(leftBehind);
        still.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
        leftBehind.clear();
    }

    private Process requireAlive() {
        Process p = process;
        if (p == null || !p.isAlive()) {
            throw new IllegalStateException(name + " is not running");
        }
        return p;
    }

    private static boolean awaitExit(Process p, Duration atMost) {
        try {
            return p.waitFor(atMost.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return !p.isAlive();
        }
    }

    private static void pause(Duration d) {
        try {
            Thread.sleep(d.toMillis()); // polling a log file: there is nothing to block on
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
