package katamari.worker.supervisor;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The allow-list of what instances may run (DESIGN.md, Security). An entry is an executable name ({@code java}),
 * an exact path, or a directory; a command is allowed when its {@code argv[0]} is a listed name, or resolves
 * (through PATH for bare names) to a listed path or to a file under a listed directory. Note that allowing an
 * interpreter allows every script it can run; list a directory of wrapper scripts instead where that matters.
 */
public final class CommandPolicy {
    private final List<String> allowed;

    public CommandPolicy(List<String> allowed) {
        this.allowed = List.copyOf(allowed);
    }

    /** @return null when the command may run, otherwise why not (said to the operator as is) */
    public String refusal(List<String> argv) {
        String exe = argv.get(0);
        Path resolved = resolve(exe);
        for (String entry : allowed) {
            if (entry.equals(exe)) {
                return null;
            }
            Path e = Path.of(entry).toAbsolutePath().normalize();
            if (resolved != null && (resolved.equals(e) || (Files.isDirectory(e) && resolved.startsWith(e)))) {
                return null;
            }
        }
        return "command '" + exe + "' is not in worker.allowedCommands " + allowed;
    }

    private static Path resolve(String exe) {
        if (exe.contains(File.separator)) {
            return Path.of(exe).toAbsolutePath().normalize();
        }
        String path = System.getenv("PATH");
        if (path == null) {
            return null;
        }
        for (String dir : path.split(File.pathSeparator)) {
            Path p = Path.of(dir, exe);
            if (Files.isExecutable(p)) {
                return p.toAbsolutePath().normalize();
            }
        }
        return null;
    }
}
