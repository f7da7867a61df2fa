package katamari.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import katamari.chassis.conformance.ConformanceKit;
import katamari.chassis.conformance.ConformanceKit.Probe;
import katamari.chassis.conformance.Report;
import katamari.config.Durations;
import katamari.topics.MalformedRecordException;
import katamari.topics.WireCodec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** The conformance kit for chassis authors: run any command and see whether it speaks the chassis protocol. */
@Command(name = "chassis-check", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Runs a chassis the way a worker does and checks that it speaks chassis protocol v1 (docs/chassis-protocol.md).",
                "Every chassis is checked for hello, ping, unknown methods, end of input and a clean stdout; naming methods turns on more checks.",
                "Exit status 0 when no check fails, 1 otherwise.",
                "Example: bin/katamari chassis-check --method echo --args '{\"text\":\"hi\"}' --text-arg text -- python3 my_chassis.py"})
final class ChassisCheckCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--method", paramLabel = "NAME", description = "a method that succeeds with --args (checks call and reply)")
    String method;

    @Option(names = "--args", paramLabel = "JSON", description = "arguments for --method, a JSON object (default {})")
    String args;

    @Option(names = "--expect", paramLabel = "JSON", description = "the result --method must answer")
    String expect;

    @Option(names = "--text-arg", paramLabel = "ARG", description = "an argument of --method whose text its result contains unchanged (checks non-ASCII text and a 1 MB payload)")
    String textArg;

    @Option(names = "--error-method", paramLabel = "NAME", description = "a method whose handler fails with --error-args (checks handler errors)")
    String errorMethod;

    @Option(names = "--error-args", paramLabel = "JSON", description = "arguments for --error-method")
    String errorArgs;

    @Option(names = "--exit-method", paramLabel = "NAME", description = "a method that returns and exits (checked in a second run of the chassis)")
    String exitMethod;

    @Option(names = "--exit-args", paramLabel = "JSON", description = "arguments for --exit-method")
    String exitArgs;

    @Option(names = "--nested-method", paramLabel = "NAME", description = "a method that calls another pool (checks nested calls)")
    String nestedMethod;

    @Option(names = "--nested-args", paramLabel = "JSON", description = "arguments for --nested-method")
    String nestedArgs;

    @Option(names = "--nested-result", paramLabel = "JSON", description = "the result the kit answers the nested call with (default \"ok\")")
    String nestedResult;

    @Option(names = "--hello-timeout", paramLabel = "DURATION", defaultValue = "20s", description = "time allowed for the hello (default ${DEFAULT-VALUE})")
    String helloTimeout;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "10s", description = "time allowed for each answer (default ${DEFAULT-VALUE})")
    String timeout;

    @Option(names = "--inherit-env", paramLabel = "NAME", split = ",", description = "variables the chassis also sees besides PATH, as a pool's inheritEnv")
    List<String> inheritEnv = new ArrayList<>();

    @Option(names = "--dir", paramLabel = "DIR", description = "the chassis's working directory (default: the current one)")
    Path directory;

    @Parameters(arity = "1..*", paramLabel = "COMMAND", description = "the chassis command, after --, e.g. -- ruby fake_handler.rb")
    List<String> command;

    @Override
    public Integer call() {
        ConformanceKit kit = ConformanceKit.of(command)
                .helloTimeout(Durations.parse(helloTimeout))
                .answerTimeout(Durations.parse(timeout))
                .inheritEnv(inheritEnv)
                .directory(directory);
        if (method != null) {
            kit.call(Probe.of(method, args)).textArg(textArg);
            if (expect != null) {
                kit.expect(json("--expect", expect));
            }
        } else if (args != null || textArg != null || expect != null) {
            throw new IllegalArgumentException("--args, --text-arg and --expect go with --method NAME");
        }
        if (errorMethod != null) {
            kit.handlerError(Probe.of(errorMethod, errorArgs));
        }
        if (exitMethod != null) {
            kit.returnAndExit(Probe.of(exitMethod, exitArgs));
        }
        if (nestedMethod != null) {
            kit.nestedCall(Probe.of(nestedMethod, nestedArgs), nestedResult == null ? null : json("--nested-result", nestedResult));
        }
        Report report = kit.run();
        spec.commandLine().getOut().print(report.render());
        spec.commandLine().getOut().flush();
        return report.passed() ? 0 : 1;
    }

    private static JsonNode json(String option, String text) {
        try {
            return WireCodec.parse(text);
        } catch (MalformedRecordException e) {
            throw new IllegalArgumentException(option + " is not JSON: " + e.getMessage());
        }
    }
}
