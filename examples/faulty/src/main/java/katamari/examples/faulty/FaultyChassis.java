package katamari.examples.faulty;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import katamari.chassis.Chassis;

/**
 * Pool {@code faulty}: a chassis that misbehaves on request, so the worker agent's supervision can be tested
 * against a real process. {@code --exit-before-hello} and {@code --no-hello} make it fail to launch;
 * {@code --hello-delay-ms N} makes it a slow starter (a restart then lasts long enough to be watched).
 */
public final class FaultyChassis {
    /** The real stdout, for writing what a broken chassis would write there. */
    private static final PrintStream RAW_OUT = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
    private static final List<byte[]> HOARD = new ArrayList<>();
    /** Per process, seeded differently in each: a stall on one instance says nothing about another's next call. */
    private static final java.util.Random STALLS = new java.util.Random();

    private FaultyChassis() {}

    /** The n of KATAMARI_INSTANCE {@code <worker>-<pool>-<version>-<n>}: which of its agent's instances this is; -1 if unknown. */
    private static long instanceIndex() {
        String id = System.getenv().getOrDefault("KATAMARI_INSTANCE", "");
        try {
            return Long.parseLong(id.substring(id.lastIndexOf('-') + 1));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    public static void main(String[] argv) throws Exception {
        if (List.of(argv).contains("--exit-before-hello")) {
            System.err.println("faulty: exiting before hello, as asked");
            System.exit(3);
        }
        if (List.of(argv).contains("--no-hello")) {
            System.err.println("faulty: never saying hello, as asked");
            Thread.sleep(Long.MAX_VALUE);
        }
        int delay = List.of(argv).indexOf("--hello-delay-ms");
        if (delay >= 0) {
            Thread.sleep(Long.parseLong(argv[delay + 1]));
        }
        Chassis.kind("faulty")
                .handle("echo", List.of("text"), a -> a.text("text"))
                .handle("pid", List.of(), a -> ProcessHandle.current().pid())
                .handle("sleep", List.of("ms"), a -> {
                    Thread.sleep(a.longValue("ms"));
                    return ProcessHandle.current().pid();
                })
                .handle("stall_one_in", List.of("every", "ms"), a -> {
                    // a tail-latency fault: one call in `every`, at random, takes `ms`, the rest answer at once. Not
                    // every `every`-th call of a process: the slots take calls in turn, so the instances' counts ran
                    // in step and a hedge's copy reached the next instance on its stalling call too
                    if (STALLS.nextInt((int) a.longValue("every")) == 0) {
                        Thread.sleep(a.longValue("ms"));
                        return "stalled";
                    }
                    return "quick";
                })
                .handle("vote", List.of("value", "liar"), a -> {
                    // for majority requests: the instance whose index (KATAMARI_INSTANCE's last part) is `liar`
                    // answers wrongly on purpose, the others right; an even index writes the keys in another order,
                    // so right answers agree only when compared with sorted keys
                    long index = instanceIndex();
                    Map<String, Object> answer = new LinkedHashMap<>();
                    if (index % 2 == 0) {
                        answer.put("ok", true);
                    }
                    answer.put("value", index == a.longValue("liar") ? "wrong from instance " + index : a.text("value"));
                    answer.put("ok", true);
                    return answer;
                })
                .handle("slow", List.of("ms", "log"), a -> {
                    Files.writeString(Path.of(a.text("log")), "run\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                    Thread.sleep(a.longValue("ms"));
                    return ProcessHandle.current().pid();
                })
                .handle("note_pid_and_sleep", List.of("ms", "log"), a -> {
                    // says which process holds this call before it runs, so a test can kill exactly that one
                    long pid = ProcessHandle.current().pid();
                    Files.writeString(Path.of(a.text("log")), pid + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                    Thread.sleep(a.longValue("ms"));
                    return pid;
                })
                .handle("crash", List.of(), a -> {
                    Runtime.getRuntime().halt(42);
                    return null;
                })
                .handle("crash_once", List.of("marker"), a -> {
                    Path marker = Path.of(a.text("marker"));
                    if (!Files.exists(marker)) {
                        Files.writeString(marker, "crashed once\n");
                        Runtime.getRuntime().halt(42);
                    }
                    return "survived the retry";
                })
                .handle("hang", List.of("log"), a -> {
                    Files.writeString(Path.of(a.text("log")), "called\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                    Thread.sleep(Long.MAX_VALUE);
                    return null;
                })
                .handle("hang_watching_stdin", List.of("log"), a -> {
                    // the chassis library reads stdin only between calls, so bytes there now are a call the agent
                    // wrote ahead of this one (pipeline): logged, then hang like "hang"
                    Path log = Path.of(a.text("log"));
                    Files.writeString(log, "called\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                    while (System.in.available() == 0) {
                        Thread.sleep(5);
                    }
                    Files.writeString(log, "the next call waits on stdin\n", StandardOpenOption.APPEND);
                    Thread.sleep(Long.MAX_VALUE);
                    return null;
                })
                .handle("go_deaf", List.of(), a -> {
                    long pid = ProcessHandle.current().pid();
                    // stop ourselves shortly after answering: alive, but deaf to pings
                    new ProcessBuilder("sh", "-c", "sleep 0.2; kill -STOP " + pid).start();
                    return pid;
                })
                .handle("leak", List.of("mb"), a -> {
                    long mb = a.longValue("mb");
                    for (int i = 0; i < mb; i++) {
                        byte[] chunk = new byte[1024 * 1024];
                        for (int j = 0; j < chunk.length; j += 4096) {
                            chunk[j] = 1; // touch every page so it counts in RSS
                        }
                        HOARD.add(chunk);
                        if (i % 16 == 0) {
                            Thread.sleep(20);
                        }
                    }
                    Thread.sleep(Long.MAX_VALUE);
                    return null;
                })
                .handle("garbage", List.of(), a -> {
                    RAW_OUT.println("Warning: this library prints to stdout");
                    Thread.sleep(Long.MAX_VALUE);
                    return null;
                })
                .handle("wrong_id", List.of(), a -> {
                    RAW_OUT.println("{\"type\":\"reply\",\"id\":\"not-the-one\",\"result\":1}");
                    Thread.sleep(Long.MAX_VALUE);
                    return null;
                })
                .handle("chatter", List.of("lines"), a -> {
                    long n = a.longValue("lines");
                    for (long i = 0; i < n; i++) {
                        System.err.println("chatter line " + i);
                    }
                    return n;
                })
                .handle("bye", List.of(), a -> Chassis.returnAndExit(ProcessHandle.current().pid()))
                .handle("relay", List.of("pool", "method", "args"), a -> {
                    // a nested call: whatever the other pool answers, or its error code
                    try {
                        return a.call(a.text("pool"), a.text("method"), a.get("args"));
                    } catch (katamari.chassis.CallFailedException e) {
                        return "nested call failed: " + e.getMessage();
                    }
                })
                .run();
    }

}
