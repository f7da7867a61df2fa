package katamari.cli;

import katamari.logging.LogFormat;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code bin/katamari}: one launcher for every role and operator command. */
@Command(name = "katamari", mixinStandardHelpOptions = true, version = "katamari 0.1.0",
        description = "Turns stdin/stdout programs into a fault-tolerant service over Kafka.",
        subcommands = {DevCommand.class, ClusterCommand.class, BrokerCommand.class, DispatcherCommand.class, WorkerCommand.class, GatewayCommand.class, CreateTopicCommand.class,
                ChassisCheckCommand.class, BenchCommand.class, RolloutCommand.class, StatusCommand.class})
public final class Main {
    public static void main(String[] args) {
        try {
            LogFormat.apply(args, System.getenv()); // before anything logs: the first logger fixes the provider
        } catch (IllegalArgumentException e) {
            System.err.println("katamari: " + e.getMessage());
            System.exit(2);
        }
        int code = commandLine().execute(args);
        if (code != 0) {
            System.exit(code);
        }
    }

    /** Every command, with one way to fail: {@code katamari: <message>} on stderr and exit code 2 (as picocli's usage errors). */
    static CommandLine commandLine() {
        return new CommandLine(new Main())
                .setExecutionExceptionHandler((e, cmd, parsed) -> {
                    cmd.getErr().println("katamari: " + (e.getMessage() != null ? e.getMessage() : e.toString())
                            + (e.getCause() != null && e.getCause() != e ? " (" + e.getCause() + ")" : ""));
                    return 2;
                });
    }
}
