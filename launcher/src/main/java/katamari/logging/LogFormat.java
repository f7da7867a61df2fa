package katamari.logging;

import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Chooses how a role logs, before anything has logged: {@code KATAMARI_LOG_FORMAT=text} (the default, slf4j-simple's
 * lines on stderr) or {@code json} (JSON lines on stdout, {@link JsonLines}). Only the long-running roles switch;
 * operator commands (status, rollout, ...) print for people and stay as they are.
 */
public final class LogFormat {
    public static final String VARIABLE = "KATAMARI_LOG_FORMAT";
    private static final Set<String> ROLES = Set.of("dev", "cluster", "broker", "dispatcher", "worker", "gateway");

    private LogFormat() {}

    /**
     * Applies the format {@code env} asks for to the command {@code args} start.
     *
     * @throws IllegalArgumentException for a format other than text or json
     */
    public static void apply(String[] args, Map<String, String> env) {
        String format = env.getOrDefault(VARIABLE, "text").trim().toLowerCase(Locale.ROOT);
        if (!format.equals("text") && !format.equals("json") && !format.isEmpty()) {
            throw new IllegalArgumentException(VARIABLE + " must be text or json, was '" + env.get(VARIABLE) + "'");
        }
        String command = args.length > 0 ? args[0] : "";
        if (!format.equals("json") || !ROLES.contains(command)) {
            return;
        }
        JsonLines lines = JsonLines.shared();
        lines.role(command);
        System.setProperty("slf4j.provider", JsonLinesProvider.class.getName());
        // SLF4J reports at INFO which provider it loads, as a plain line on stderr
        System.setProperty("slf4j.internal.verbosity", "WARN");
        // what roles print themselves (ready lines) and anything else written to the standard streams
        System.setOut(lines.lines("INFO", "stdout"));
        System.setErr(lines.lines("WARN", "stderr"));
    }
}
