package katamari.worker.supervisor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import katamari.config.PoolDefinition;

/** {@link ProcessLauncher#system()}: the pool's argv (never a shell) with a scrubbed environment. */
final class SystemProcessLauncher implements ProcessLauncher {
    static final SystemProcessLauncher INSTANCE = new SystemProcessLauncher();
    private static final Path SETSID = Path.of("/usr/bin/setsid");

    private SystemProcessLauncher() {}

    @Override
    public Process start(PoolDefinition pool, String instanceId) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(argv(pool.command()));
        Map<String, String> env = builder.environment();
        env.clear();
        env.putAll(environment(pool, instanceId, System.getenv()));
        return builder.start();
    }

    /** Only what the pool lists ({@code inheritEnv} from the agent's, then {@code env}), plus {@code KATAMARI_*}. */
    static Map<String, String> environment(PoolDefinition pool, String instanceId, Map<String, String> agentEnv) {
        Map<String, String> env = new HashMap<>();
        pool.inheritEnv().stream().filter(agentEnv::containsKey).forEach(name -> env.put(name, agentEnv.get(name)));
        env.putAll(pool.env());
        env.put("KATAMARI_POOL", pool.name());
        env.put("KATAMARI_VERSION", pool.version());
        env.put("KATAMARI_INSTANCE", instanceId);
        return env;
    }

    /**
     * Runs the command in a session of its own where {@code setsid} exists (it execs in place: same pid, same
     * pipes), so a Ctrl-C at the terminal reaches only the agent, which then stops its instances in order instead
     * of finding them all crashed at once.
     */
    private static List<String> argv(List<String> command) {
        if (!Files.isExecutable(SETSID)) {
            return command;
        }
        List<String> argv = new ArrayList<>(command.size() + 1);
        argv.add(SETSID.toString());
        argv.addAll(command);
        return argv;
    }
}
