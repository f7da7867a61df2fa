package katamari.chassis.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import katamari.topics.MalformedRecordException;
import katamari.topics.WireCodec;

/**
 * Checks that any command speaks chassis protocol v1 (docs/chassis-protocol.md), by running it as a child process
 * the way a worker agent does and talking to it:
 * <pre>{@code
 * Report report = ConformanceKit.of(List.of("python3", "wordcount.py"))
 *         .call(Probe.of("echo", "{\"text\":\"hi\"}")).textArg("text")
 *         .run();
 * System.out.print(report.render());
 * }</pre>
 * Without options it checks what every chassis must do (hello, ping, unknown method, end of input, stdout holding
 * only protocol lines); naming methods turns on the checks that need one: a call and its reply, non-ASCII text and
 * a 1 MB payload through a method that says a text argument back, a handler error, a nested call, return and exit.
 */
public final class ConformanceKit {
    /** A method to call and the arguments to call it with. */
    public record Probe(String method, ObjectNode args) {
        public Probe {
            Objects.requireNonNull(method, "method");
            args = args == null ? WireCodec.mapper().createObjectNode() : args.deepCopy();
        }

        /** @param argsJson a JSON object of named arguments, or null for none */
        public static Probe of(String method, String argsJson) {
            if (argsJson == null || argsJson.isBlank()) {
                return new Probe(method, null);
            }
            JsonNode args;
            try {
                args = WireCodec.parse(argsJson);
            } catch (MalformedRecordException e) {
                throw new IllegalArgumentException("the arguments for " + method + " are not JSON: " + e.getMessage());
            }
            if (!(args instanceof ObjectNode named)) {
                throw new IllegalArgumentException("the arguments for " + method + " must be a JSON object of named arguments, were " + argsJson);
            }
            return new Probe(method, named);
        }
    }

    static final Duration DEFAULT_HELLO_TIMEOUT = Duration.ofSeconds(20);
    static final Duration DEFAULT_ANSWER_TIMEOUT = Duration.ofSeconds(10);
    static final JsonNode DEFAULT_NESTED_RESULT = TextNode.valueOf("ok");

    final List<String> command;
    Duration helloTimeout = DEFAULT_HELLO_TIMEOUT;
    Duration answerTimeout = DEFAULT_ANSWER_TIMEOUT;
    Probe call;
    String textArg;
    JsonNode expect;
    Probe failing;
    Probe exiting;
    Probe nested;
    JsonNode nestedResult = DEFAULT_NESTED_RESULT;
    final Set<String> inheritEnv = new LinkedHashSet<>(List.of("PATH"));
    Path directory;

    private ConformanceKit(List<String> command) {
        if (command == null || command.isEmpty() || command.stream().anyMatch(a -> a == null || a.isEmpty())) {
            throw new IllegalArgumentException("give the chassis command as an argv of non-empty strings");
        }
        this.command = List.copyOf(command);
    }

    public static ConformanceKit of(List<String> command) {
        return new ConformanceKit(command);
    }

    /** A method that succeeds with these arguments: turns on the "call and reply" check. */
    public ConformanceKit call(Probe probe) {
        this.call = probe;
        return this;
    }

    /**
     * The argument of the {@link #call} method whose text the method's result contains unchanged (anywhere in a
     * string of it): turns on the "non-ASCII text" and "1 MB payload" checks.
     */
    public ConformanceKit textArg(String name) {
        this.textArg = name;
        return this;
    }

    /** The result the {@link #call} must answer, compared as JSON. */
    public ConformanceKit expect(JsonNode result) {
        this.expect = result;
        return this;
    }

    /** A method whose handler fails with these arguments: turns on the "handler error" check. */
    public ConformanceKit handlerError(Probe probe) {
        this.failing = probe;
        return this;
    }

    /** A method that returns and exits: turns on the "return and exit" check (run in a second process). */
    public ConformanceKit returnAndExit(Probe probe) {
        this.exiting = probe;
        return this;
    }

    /** A method that calls another pool: turns on the "nested call" check; the kit answers the nested call with {@code result}. */
    public ConformanceKit nestedCall(Probe probe, JsonNode result) {
        this.nested = probe;
        this.nestedResult = result == null ? DEFAULT_NESTED_RESULT : result;
        return this;
    }

    /** How long the chassis may take to say hello; the agent's is {@code worker.launchTimeout}. */
    public ConformanceKit helloTimeout(Duration timeout) {
        this.helloTimeout = Objects.requireNonNull(timeout);
        return this;
    }

    /** How long each answer may take (the 1 MB payload included). */
    public ConformanceKit answerTimeout(Duration timeout) {
        this.answerTimeout = Objects.requireNonNull(timeout);
        return this;
    }

    /** Variables of this process the chassis also sees, as a pool's {@code inheritEnv} (PATH is always passed). */
    public ConformanceKit inheritEnv(Collection<String> names) {
        inheritEnv.addAll(names);
        return this;
    }

    /** The chassis's working directory (default: this process's). */
    public ConformanceKit directory(Path directory) {
        this.directory = directory;
        return this;
    }

    /** Runs the chassis (twice when a return-and-exit method is named), checks it, and stops it. */
    public Report run() {
        return new Checks(this).run();
    }
}
