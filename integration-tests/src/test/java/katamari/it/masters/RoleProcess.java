package katamari.it.masters;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import katamari.it.support.Katamari;
import org.awaitility.Awaitility;

/** One Katamari role as its own JVM ({@code java -jar katamari.jar <role> ...}), its output kept in a log file. */
final class RoleProcess implements AutoCloseable {
    private final String name;
    private final List<String> command;
    private final Map<String, String> env;
    private final Path log;
    private final List<String> lines = new CopyOnWriteArrayList<>();
    private Process process;
    private volatile boolean paused;

    RoleProcess(String name, Path logDir, Map<String, String> env, String... args) {
        this.name = name;
        this.env = env;
        this.log = logDir.resolve(name + ".log");
        this.command = new ArrayList<>(List.of("java", "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-jar", Katamari.HOME.resolve("launcher/target/katamari.jar").toString()));
        this.command.addAll(List.of(args));
    }

    RoleProcess start() {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().put("KATAMARI_HOME", Katamari.HOME.toString());
        pb.environment().putAll(env);
        try {
            process = pb.start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot start " + name, e);
        }
        lines.clear();
        Thread reader = new Thread(this::pump, "output-" + name);
        reader.setDaemon(true);
        reader.start();
        return this;
    }

    private void pump() {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
             PrintWriter out = new PrintWriter(Files.newBufferedWriter(log, StandardCharsets.UTF_8,
                     java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND), true)) {
            String line;
            while ((line = r.readLine()) != null) {
                lines.add(line);
                out.println(line);
            }
        } catch (IOException e) {
            // the process ended
        }
    }

    String name() {
        return name;
    }

    long pid() {
        return process.pid();
    }

    boolean alive() {
        return process != null && process.isAlive();
    }

    /** Alive and not stopped by SIGSTOP. */
    boolean running() {
        return alive() && !paused;
    }

    boolean printed(String fragment) {
        return lines.stream().anyMatch(l -> l.contains(fragment));
    }

    void awaitLine(String fragment, Duration atMost) {
        Awaitility.await(name + " prints '" + fragment + "'").atMost(atMost).pollInterval(Duration.ofMillis(50))
                .failFast(name + " exited; see " + log, () -> !process.isAlive())
                .until(() -> printed(fragment));
    }

    /** SIGKILL: no shutdown hook, no goodbye to the cluster. */
    void kill9() {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        Awaitility.await(name + " dead").atMost(Duration.ofSeconds(10)).until(() -> !process.isAlive());
    }

    void signal(String sig) {
        paused = sig.equals("STOP");
        try {
            int rc = new ProcessBuilder("kill", "-" + sig, String.valueOf(process.pid())).inheritIO().start().waitFor();
            if (rc != 0) {
                throw new IllegalStateException("kill -" + sig + " " + process.pid() + " exited " + rc);
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        if (process != null && process.isAlive()) {
            signal("CONT");
            List<ProcessHandle> children = process.descendants().toList();
            process.destroyForcibly();
            children.forEach(ProcessHandle::destroyForcibly);
        }
    }
}
