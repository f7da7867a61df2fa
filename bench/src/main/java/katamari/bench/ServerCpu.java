package katamari.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The CPU a server on this machine used, from Linux's /proc: user plus system time of a process and of every
 * descendant alive when asked (a dev box's JVM and its chassis processes). Reads, so the measured process pays nothing.
 */
final class ServerCpu {
    private static final Path PROC = Path.of("/proc");
    private static final long TICKS_PER_SECOND = ticksPerSecond();

    private ServerCpu() {}

    /** CPU seconds used so far by {@code pid} and its live descendants. */
    static double seconds(long pid) {
        return tree(pid).stream().mapToLong(p -> p.ticks).sum() / (double) TICKS_PER_SECOND;
    }

    /**
     * Of {@link #seconds}, what the JVMs' just-in-time compilers used: the threads HotSpot names {@code C1
     * CompilerThread<n>} and {@code C2 CompilerThread<n>}, in {@code pid} and its live descendants. While it is a large
     * share the server is still warming up: on 2 cores a fresh dev's compilers took half a core for minutes
     * (docs/benchmarks.md, issue 16).
     */
    static double jitSeconds(long pid) {
        long ticks = 0;
        for (Stat p : tree(pid)) {
            ticks += compilerTicks(p.pid);
        }
        return (double) ticks / TICKS_PER_SECOND;
    }

    /** Whether a thread's name (its /proc comm, cut at 15 characters) is one of HotSpot's compiler threads. */
    static boolean isCompilerThread(String comm) {
        return comm.startsWith("C1 CompilerThre") || comm.startsWith("C2 CompilerThre");
    }

    /** How many of {@code pid}'s threads are compiler threads now (HotSpot starts and stops some as the queue grows). */
    static int compilerThreads(long pid) {
        int[] n = {0};
        eachThread(pid, (comm, ticks) -> n[0] += isCompilerThread(comm) ? 1 : 0);
        return n[0];
    }

    private static long compilerTicks(long pid) {
        long[] ticks = {0};
        eachThread(pid, (comm, t) -> ticks[0] += isCompilerThread(comm) ? t : 0);
        return ticks[0];
    }

    private interface ThreadVisitor {
        void visit(String comm, long ticks);
    }

    private static void eachThread(long pid, ThreadVisitor visitor) {
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(PROC.resolve(String.valueOf(pid)).resolve("task"))) {
            for (Path task : tasks) {
                try {
                    String stat = Files.readString(task.resolve("stat"), StandardCharsets.US_ASCII);
                    String comm = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                    visitor.visit(comm, ticks(stat));
                } catch (IOException | RuntimeException e) {
                    // the thread ended while we read
                }
            }
        } catch (IOException e) {
            // the process ended while we read: no threads
        }
    }

    /** {@code pid} and its live descendants. */
    private static List<Stat> tree(long pid) {
        Map<Long, Stat> all = stats();
        if (!all.containsKey(pid)) {
            throw new IllegalStateException("process " + pid + " is gone: the server stopped during the run");
        }
        Map<Long, List<Long>> children = new HashMap<>();
        all.forEach((p, s) -> children.computeIfAbsent(s.ppid, k -> new ArrayList<>()).add(p));
        List<Stat> out = new ArrayList<>();
        Deque<Long> todo = new ArrayDeque<>(List.of(pid));
        while (!todo.isEmpty()) {
            long p = todo.pop();
            Stat s = all.get(p);
            if (s != null) {
                out.add(s);
            }
            todo.addAll(children.getOrDefault(p, List.of()));
        }
        return out;
    }

    /** User plus system ticks from a /proc stat line (the fields count from the end of the parenthesised name, which may hold spaces). */
    private static long ticks(String stat) {
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }

    /** The process with a TCP socket listening on 127.0.0.1 (or any address) at {@code port}. */
    static long listenerPid(int port) {
        String inode = listeningInode(port);
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(PROC, "[0-9]*")) {
            for (Path proc : procs) {
                try (DirectoryStream<Path> fds = Files.newDirectoryStream(proc.resolve("fd"))) {
                    for (Path fd : fds) {
                        if (("socket:[" + inode + "]").equals(Files.readSymbolicLink(fd).toString())) {
                            return Long.parseLong(proc.getFileName().toString());
                        }
                    }
                } catch (IOException | SecurityException e) {
                    // gone, or not ours to read: not the server
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        throw new IllegalStateException("no process of this user listens on port " + port + " (pass --server-pid)");
    }

    private static String listeningInode(int port) {
        String hexPort = String.format(":%04X", port);
        for (String table : List.of("net/tcp", "net/tcp6")) {
            List<String> lines;
            try {
                lines = Files.readAllLines(PROC.resolve(table), StandardCharsets.US_ASCII);
            } catch (IOException e) {
                continue;
            }
            for (String line : lines.subList(Math.min(1, lines.size()), lines.size())) {
                String[] f = line.trim().split("\\s+");
                // sl local_address rem_address st ... inode (field 9); state 0A is LISTEN
                if (f.length > 9 && f[1].endsWith(hexPort) && f[3].equals("0A")) {
                    return f[9];
                }
            }
        }
        throw new IllegalStateException("nothing listens on port " + port + " of this machine");
    }

    private record Stat(long pid, long ppid, long ticks) {}

    private static Map<Long, Stat> stats() {
        Map<Long, Stat> out = new HashMap<>();
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(PROC, "[0-9]*")) {
            for (Path proc : procs) {
                try {
                    String stat = Files.readString(proc.resolve("stat"), StandardCharsets.US_ASCII);
                    // the command name is in parentheses and may hold spaces: the fields count from its end
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    long pid = Long.parseLong(proc.getFileName().toString());
                    out.put(pid, new Stat(pid, Long.parseLong(f[1]), ticks(stat)));
                } catch (IOException | RuntimeException e) {
                    // exited while we read
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    private static long ticksPerSecond() {
        try {
            Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
            p.waitFor();
            return Long.parseLong(out);
        } catch (IOException | RuntimeException e) {
            return 100; // Linux's USER_HZ on every common architecture
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 100;
        }
    }
}
