package katamari.chassis.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import katamari.chassis.conformance.ChassisProcess.Event;
import katamari.chassis.conformance.ChassisProcess.Exited;
import katamari.chassis.conformance.ChassisProcess.Line;
import katamari.chassis.conformance.ConformanceKit.Probe;
import katamari.chassis.conformance.Report.Check;
import katamari.chassis.conformance.Report.Outcome;
import katamari.chassis.protocol.ChassisMessage;
import katamari.chassis.protocol.ChassisMessage.CallPool;
import katamari.chassis.protocol.ChassisMessage.Failure;
import katamari.chassis.protocol.ChassisMessage.Hello;
import katamari.chassis.protocol.ChassisMessage.MethodSpec;
import katamari.chassis.protocol.ChassisMessage.Pong;
import katamari.chassis.protocol.ChassisMessage.Result;
import katamari.topics.WireCodec;

/** One run of the kit: the checks, in order, against one chassis process (and a second for return and exit). */
final class Checks {
    static final String HELLO = "hello";
    static final String PING = "ping";
    static final String UNKNOWN_METHOD = "unknown method";
    static final String CALL = "call and reply";
    static final String NON_ASCII = "non-ASCII text";
    static final String LARGE = "1 MB payload";
    static final String HANDLER_ERROR = "handler error";
    static final String NESTED = "nested call";
    static final String END_OF_INPUT = "exit at end of input";
    static final String RETURN_AND_EXIT = "return and exit";
    static final String STDOUT = "stdout is protocol only";

    /** The agent closes stdin to stop an instance and kills it 2 s later; give a little more. */
    private static final Duration EXIT_GRACE = Duration.ofSeconds(5);
    private static final Pattern POOL_NAME = Pattern.compile("[a-z0-9][a-z0-9_-]{0,62}");

    private final ConformanceKit kit;
    private final List<Check> checks = new ArrayList<>();
    private final List<Line> violations = new ArrayList<>();
    private int linesSeen;
    private ChassisProcess chassis;
    private Hello hello;
    private Integer exitStatus;
    private int ids;

    Checks(ConformanceKit kit) {
        this.kit = kit;
    }

    /** Why a check failed, in words for the chassis's author. */
    private static final class Failed extends Exception {
        Failed(String why) {
            super(why);
        }
    }

    @FunctionalInterface
    private interface Body {
        /** @return what was seen, for a PASS */
        String run() throws Failed;
    }

    Report run() {
        long start = System.nanoTime();
        try {
            if (launch()) {
                checkAll();
            }
        } finally {
            stop();
        }
        if (kit.exiting == null) {
            skip(RETURN_AND_EXIT, "name a method that returns and exits: --exit-method NAME [--exit-args JSON]");
        } else if (hello == null) {
            skip(RETURN_AND_EXIT, "not run: the chassis never said hello");
        } else {
            if (launch()) {
                check(RETURN_AND_EXIT, this::returnAndExit);
            }
            stop();
        }
        check(STDOUT, this::stdoutIsProtocolOnly);
        return new Report(kit.command, checks, Duration.ofNanos(System.nanoTime() - start));
    }

    private void checkAll() {
        check(PING, this::ping);
        check(UNKNOWN_METHOD, this::unknownMethod);
        if (kit.call == null) {
            skip(CALL, "name a method that succeeds: --method NAME [--args JSON] [--expect JSON]");
        } else {
            check(CALL, this::callAndReply);
        }
        if (kit.call == null || kit.textArg == null) {
            skip(NON_ASCII, "name a method whose result contains a text argument unchanged: --method NAME --text-arg ARG");
            skip(LARGE, "as for " + NON_ASCII);
        } else {
            check(NON_ASCII, () -> sayBack(Payloads.NON_ASCII, "non-ASCII text"));
            check(LARGE, () -> sayBack(Payloads.oneMegabyte(), "a 1 MB text"));
        }
        if (kit.failing == null) {
            skip(HANDLER_ERROR, "name a method that fails: --error-method NAME [--error-args JSON]");
        } else {
            check(HANDLER_ERROR, this::handlerError);
        }
        if (kit.nested == null) {
            skip(NESTED, "name a method that calls another pool: --nested-method NAME [--nested-args JSON] [--nested-result JSON]");
        } else {
            check(NESTED, this::nestedCall);
        }
        check(END_OF_INPUT, this::endOfInput);
    }

    // -- running checks -------------------------------------------------------------------------------------------

    private void check(String name, Body body) {
        long start = System.nanoTime();
        if (chassis == null && !name.equals(STDOUT)) {
            checks.add(new Check(name, Outcome.SKIP, "not run: the chassis is no longer running (see the failure above)", Duration.ZERO));
            return;
        }
        Outcome outcome;
        String detail;
        try {
            detail = body.run();
            outcome = Outcome.PASS;
        } catch (Failed f) {
            detail = f.getMessage();
            outcome = Outcome.FAIL;
        }
        checks.add(new Check(name, outcome, detail, Duration.ofNanos(System.nanoTime() - start)));
    }

    private void skip(String name, String how) {
        checks.add(new Check(name, Outcome.SKIP, how, Duration.ZERO));
    }

    /** Starts the chassis and runs the hello check (reported only for the first process, or when it fails). */
    private boolean launch() {
        boolean first = hello == null;
        long start = System.nanoTime();
        try {
            chassis = ChassisProcess.start(kit.command, kit.directory, kit.inheritEnv);
        } catch (IOException e) {
            checks.add(new Check(HELLO, Outcome.FAIL, "cannot start " + kit.command + ": " + e.getMessage()
                    + "\nThe command is run as an argv, without a shell, like a pool's command.", Duration.ZERO));
            return false;
        }
        int before = checks.size();
        check(HELLO, this::hello);
        Check result = checks.get(before);
        if (!first && result.outcome() == Outcome.PASS) {
            checks.remove(before);
        } else if (!first) {
            checks.set(before, new Check(HELLO + " (second start)", result.outcome(), result.detail(), Duration.ofNanos(System.nanoTime() - start)));
        }
        if (result.outcome() != Outcome.PASS) {
            stop();
            return false;
        }
        return true;
    }

    private void stop() {
        if (chassis != null) {
            chassis.close();
            chassis.awaitStdoutRead(Duration.ofSeconds(2));
            violations.addAll(chassis.violations());
            linesSeen += chassis.lineCount();
            chassis = null;
        }
    }

    // -- the checks -----------------------------------------------------------------------------------------------

    private String hello() throws Failed {
        Event first = chassis.next(kit.helloTimeout);
        if (first == null) {
            throw new Failed("no hello within " + ms(kit.helloTimeout) + ". A chassis writes its hello line first, as soon as it starts, and flushes it:\n"
                    + "{\"type\":\"hello\",\"protocol\":1,\"kind\":\"...\",\"methods\":{\"name\":{\"args\":[\"arg\"]}}}" + stderr());
        }
        if (first instanceof Exited x) {
            exitStatus = x.status();
            throw new Failed("the chassis exited with status " + x.status() + " before saying hello." + stderr());
        }
        Line line = (Line) first;
        if (line.problem() != null) {
            throw new Failed("the first line on stdout is " + line.problem() + ":\n" + quote(line.text())
                    + "\nThe first line must be the hello; the agent restarts an instance that writes anything else first." + stderr());
        }
        if (!(line.message() instanceof Hello h)) {
            throw new Failed("the first line is a '" + type(line) + "' message; it must be the hello:\n" + quote(line.text()));
        }
        if (h.protocol() != ChassisMessage.PROTOCOL) {
            throw new Failed("the hello says protocol " + line.json().path("protocol") + "; this agent speaks protocol " + ChassisMessage.PROTOCOL
                    + " (\"protocol\":1, a number) and refuses any other");
        }
        if (!line.json().path("kind").isTextual() || h.kind().isBlank()) {
            throw new Failed("the hello has no \"kind\" string (what this chassis is, e.g. \"wordcount\")");
        }
        hello = h;
        String methods = h.methods().entrySet().stream()
                .map(e -> e.getKey() + "(" + String.join(", ", e.getValue().args()) + ")")
                .collect(Collectors.joining(", "));
        return "kind \"" + h.kind() + "\", methods: " + (methods.isEmpty() ? "none" : methods);
    }

    private String ping() throws Failed {
        String id = id("ping");
        JsonNode pong = ask(WireCodec.mapper().createObjectNode().put("type", "ping").put("id", id), "a ping");
        if (!"pong".equals(pong.path("type").asText())) {
            throw new Failed("answered a ping with a '" + pong.path("type").asText() + "' message; it must be {\"type\":\"pong\",\"id\":\"" + id + "\"}"
                    + "\nThe agent pings idle instances and restarts those that do not answer.");
        }
        return "answered {\"type\":\"ping\",\"id\":\"" + id + "\"} with a pong";
    }

    private String unknownMethod() throws Failed {
        String method = "katamari_conformance_no_such_method";
        while (hello.methods().containsKey(method)) {
            method += "_";
        }
        String id = id("call");
        JsonNode answer = ask(call(id, method, WireCodec.mapper().createObjectNode()), "a call of undeclared method '" + method + "'");
        String code = answer.path("error").path("code").asText();
        String expected = "{\"type\":\"error\",\"id\":\"" + id + "\",\"error\":{\"code\":\"method_not_found\",\"message\":\"...\"}}";
        if (!"error".equals(type(answer)) || !"method_not_found".equals(code)) {
            throw new Failed("answered a call of undeclared method '" + method + "' with\n" + quote(answer.toString())
                    + "\nIt must answer " + expected);
        }
        if (answer.path("exit").asBoolean(false)) {
            throw new Failed("refused the undeclared method but set \"exit\":true; an unknown method must not end the instance");
        }
        stillServing("refusing an undeclared method");
        return "method_not_found: " + abbreviate(answer.path("error").path("message").asText(), 100);
    }

    private String callAndReply() throws Failed {
        requireDeclared(kit.call, "--method", "--args");
        String id = id("call");
        JsonNode answer = ask(call(id, kit.call.method(), kit.call.args()), "the call of " + kit.call.method());
        requireReply(answer, kit.call.method());
        JsonNode result = answer.get("result");
        if (kit.expect != null && !kit.expect.equals(result)) {
            throw new Failed("the result was\n" + quote(String.valueOf(result)) + "\nbut --expect says\n" + quote(kit.expect.toString()));
        }
        return "result " + abbreviate(String.valueOf(result), 120);
    }

    private String sayBack(String text, String what) throws Failed {
        requireDeclared(kit.call, "--method", "--args");
        MethodSpec spec = hello.methods().get(kit.call.method());
        if (!spec.named().contains(kit.textArg) && !spec.acceptsMore()) {
            throw new Failed("--text-arg " + kit.textArg + ": method " + kit.call.method() + " takes no such argument; it takes " + spec.args());
        }
        ObjectNode args = kit.call.args().deepCopy().put(kit.textArg, text);
        String id = id("call");
        long start = System.nanoTime();
        JsonNode answer = ask(call(id, kit.call.method(), args), what + " in argument '" + kit.textArg + "' of " + kit.call.method());
        long tookMs = (System.nanoTime() - start) / 1_000_000;
        requireReply(answer, kit.call.method());
        JsonNode result = answer.get("result");
        if (!Payloads.containsText(result, text)) {
            throw new Failed("sent " + what + " (" + text.length() + " characters) in argument '" + kit.textArg + "', but the result does not contain it unchanged. "
                    + Payloads.describeDifference(text, result));
        }
        int bytes = answer.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        return "sent " + Payloads.size(text) + ", got it back in a " + Payloads.size(bytes) + " reply in " + tookMs + " ms";
    }

    private String handlerError() throws Failed {
        requireDeclared(kit.failing, "--error-method", "--error-args");
        String id = id("call");
        JsonNode answer = ask(call(id, kit.failing.method(), kit.failing.args()), "the call of " + kit.failing.method());
        String code = answer.path("error").path("code").asText();
        if (!"error".equals(type(answer)) || !"handler_error".equals(code)) {
            throw new Failed(kit.failing.method() + " answered\n" + quote(abbreviate(answer.toString(), 300))
                    + "\nA handler that fails is answered {\"type\":\"error\",\"id\":\"" + id + "\",\"error\":{\"code\":\"handler_error\",\"message\":\"...\"}}"
                    + (type(answer).equals("reply") ? "\n(does --error-method name a method that fails with --error-args?)" : ""));
        }
        if (answer.path("exit").asBoolean(false)) {
            throw new Failed("answered handler_error with \"exit\":true; a handler error should leave the instance running");
        }
        stillServing("a handler error");
        return "handler_error: " + abbreviate(answer.path("error").path("message").asText(), 100) + "; still answers pings";
    }

    private String nestedCall() throws Failed {
        requireDeclared(kit.nested, "--nested-method", "--nested-args");
        String first = nestedRound(true);
        String second = nestedRound(false);
        stillServing("a failed nested call");
        return first + "; " + second;
    }

    /** One outer call whose nested call the kit answers: with the result, or with a timeout error. */
    private String nestedRound(boolean succeed) throws Failed {
        String id = id("call");
        send(call(id, kit.nested.method(), kit.nested.args()), "the call of " + kit.nested.method());
        Line line = await(id + " or a call_pool", l -> l.message() instanceof CallPool || idOf(l.message()).equals(id), false);
        if (!(line.message() instanceof CallPool nested)) {
            throw new Failed(kit.nested.method() + " answered without calling another pool:\n" + quote(abbreviate(line.text(), 300))
                    + "\nA nested call is {\"type\":\"call_pool\",\"id\":\"" + id + ".n1\",\"pool\":\"...\",\"method\":\"...\",\"args\":{...}},"
                    + " written before the answer to " + id);
        }
        if (!nested.id().startsWith(id + ".")) {
            throw new Failed("the nested call's id is \"" + nested.id() + "\"; it must start with the outer call's id and a dot (\"" + id + ".n1\")");
        }
        if (!POOL_NAME.matcher(nested.pool()).matches()) {
            throw new Failed("the nested call names pool \"" + nested.pool() + "\", which is not a pool name ([a-z0-9][a-z0-9_-]{0,62})");
        }
        ObjectNode reply = WireCodec.mapper().createObjectNode();
        if (succeed) {
            reply.put("type", "call_result").put("id", nested.id()).set("result", kit.nestedResult);
        } else {
            reply.put("type", "call_error").put("id", nested.id()).putObject("error")
                    .put("code", "timeout").put("message", "the outer call's deadline passed (sent by the conformance kit)");
        }
        send(reply, "the answer to nested call " + nested.id());
        Line answer = await(id, l -> idOf(l.message()).equals(id), true);
        String type = type(answer);
        if (succeed && !"reply".equals(type)) {
            throw new Failed("after its nested call " + nested.id() + " to " + nested.pool() + "." + nested.method() + " got result "
                    + kit.nestedResult + ", " + kit.nested.method() + " answered\n" + quote(abbreviate(answer.text(), 300))
                    + "\n(give the result that method expects with --nested-result JSON)");
        }
        return succeed
                ? "called " + nested.pool() + "." + nested.method() + " as " + nested.id() + " and replied after call_result"
                : "answered " + ("error".equals(type) ? answer.json().path("error").path("code").asText() + " error" : type) + " after call_error timeout";
    }

    private String endOfInput() throws Failed {
        chassis.closeStdin();
        Integer status = chassis.awaitExit(EXIT_GRACE);
        if (status == null) {
            throw new Failed("still running " + ms(EXIT_GRACE) + " after its stdin closed. The agent stops an instance by closing its stdin"
                    + " and kills it 2 s later: a chassis should end when it reads end of input.");
        }
        exitStatus = status;
        return "exited with status " + status + " when stdin closed";
    }

    private String returnAndExit() throws Failed {
        requireDeclared(kit.exiting, "--exit-method", "--exit-args");
        String id = id("call");
        JsonNode answer = ask(call(id, kit.exiting.method(), kit.exiting.args()), "the call of " + kit.exiting.method());
        if (!answer.path("exit").asBoolean(false)) {
            throw new Failed(kit.exiting.method() + " answered without \"exit\":true:\n" + quote(abbreviate(answer.toString(), 300))
                    + "\nReturn and exit is an answer with \"exit\":true, after which the chassis ends by itself.");
        }
        Integer status = chassis.awaitExit(kit.answerTimeout);
        if (status == null) {
            throw new Failed("answered with \"exit\":true but was still running " + ms(kit.answerTimeout)
                    + " later (stdin still open). After such an answer the chassis must end by itself; the agent then starts a fresh one.");
        }
        return "answered " + abbreviate(String.valueOf(answer.has("result") ? answer.get("result") : answer.get("error")), 80)
                + " with \"exit\":true and exited with status " + status;
    }

    private String stdoutIsProtocolOnly() throws Failed {
        if (violations.isEmpty()) {
            return linesSeen + " lines, every one a protocol message";
        }
        StringBuilder why = new StringBuilder(violations.size() + " of " + linesSeen
                + " lines on stdout are not protocol messages; the agent restarts an instance at the first such line:");
        violations.stream().limit(5).forEach(l -> why.append("\nline ").append(l.number()).append(": ").append(l.problem())
                .append("\n  ").append(quote(abbreviate(l.text(), 160))));
        if (violations.size() > 5) {
            why.append("\n... and ").append(violations.size() - 5).append(" more");
        }
        why.append("\nOnly protocol lines may reach stdout: send logs and prints to stderr (the chassis libraries do this for you).");
        throw new Failed(why.toString());
    }

    // -- talking to the chassis -----------------------------------------------------------------------------------

    private void requireDeclared(Probe probe, String methodOption, String argsOption) throws Failed {
        MethodSpec spec = hello.methods().get(probe.method());
        if (spec == null) {
            throw new Failed(methodOption + " " + probe.method() + ": the hello declares no such method (it declares "
                    + new TreeSet<>(hello.methods().keySet()) + ")");
        }
        Set<String> given = new TreeSet<>();
        probe.args().fieldNames().forEachRemaining(given::add);
        var mismatch = spec.mismatch(given);
        if (mismatch.isPresent()) {
            throw new Failed(argsOption + " does not fit: " + probe.method() + " " + mismatch.get() + " (the agent would answer bad_request)");
        }
    }

    private void requireReply(JsonNode answer, String method) throws Failed {
        if ("error".equals(type(answer))) {
            throw new Failed(method + " answered an error: " + abbreviate(answer.path("error").toString(), 300)
                    + "\n(name a method that succeeds with the arguments given)");
        }
        if (!"reply".equals(type(answer))) {
            throw new Failed("a call must be answered with a reply or an error, not a '" + type(answer) + "' message");
        }
        if (!answer.has("result")) {
            throw new Failed("the reply has no \"result\" member (write \"result\":null for nothing):\n" + quote(abbreviate(answer.toString(), 300)));
        }
        if (answer.path("exit").asBoolean(false)) {
            throw new Failed("the reply says \"exit\":true, so the instance would end after every call; name a return-and-exit method with --exit-method instead");
        }
    }

    private void stillServing(String after) throws Failed {
        String id = id("ping");
        try {
            JsonNode pong = ask(WireCodec.mapper().createObjectNode().put("type", "ping").put("id", id), "a ping after " + after);
            if (!"pong".equals(type(pong))) {
                throw new Failed("after " + after + ", a ping was answered with a '" + type(pong) + "' message");
            }
        } catch (Failed f) {
            throw new Failed("after " + after + " the chassis must keep serving, but: " + f.getMessage());
        }
    }

    private ObjectNode call(String id, String method, ObjectNode args) {
        ObjectNode call = WireCodec.mapper().createObjectNode().put("type", "call").put("id", id).put("method", method);
        call.set("args", args);
        return call.put("deadline", System.currentTimeMillis() + kit.answerTimeout.toMillis());
    }

    /** Sends a message and returns the answer carrying its id. */
    private JsonNode ask(ObjectNode message, String what) throws Failed {
        String id = message.path("id").asText();
        send(message, what);
        return await(id, l -> idOf(l.message()).equals(id), true).json();
    }

    private void send(ObjectNode message, String what) throws Failed {
        String line = message.toString();
        if (!chassis.send(line, kit.answerTimeout)) {
            Integer status = chassis.awaitExit(Duration.ZERO);
            throw new Failed(status != null
                    ? "the chassis had exited (status " + status + ") before " + what + " could be sent." + stderr()
                    : "the chassis did not read " + what + " (" + Payloads.size(line.length()) + ") within " + ms(kit.answerTimeout)
                            + ": a chassis must keep reading stdin, one line per message." + stderr());
        }
    }

    /**
     * Waits for the line {@code wanted} accepts; answers nested calls it is not waiting for (the kit runs no other
     * pools) and fails on anything else a chassis must not send.
     */
    private Line await(String what, Predicate<Line> wanted, boolean answerNestedCalls) throws Failed {
        long deadline = System.nanoTime() + kit.answerTimeout.toNanos();
        int garbage = 0;
        while (true) {
            Event event = chassis.next(Duration.ofNanos(deadline - System.nanoTime()));
            if (event == null) {
                throw new Failed("no answer to " + what + " within " + ms(kit.answerTimeout) + ". A chassis answers every call and ping with one line"
                        + " carrying the same \"id\", and flushes stdout after each line."
                        + (garbage > 0 ? " (Meanwhile it wrote " + garbage + " lines that are not protocol; see '" + STDOUT + "'.)" : "") + stderr());
            }
            if (event instanceof Exited x) {
                exitStatus = x.status();
                ChassisProcess gone = chassis;
                stop();
                throw new Failed("the chassis exited with status " + x.status() + " instead of answering " + what + "." + stderr(gone));
            }
            Line line = (Line) event;
            if (line.problem() != null) {
                garbage++;
                continue;
            }
            if (wanted.test(line)) {
                return line;
            }
            if (line.message() instanceof CallPool nested && answerNestedCalls) {
                ObjectNode error = WireCodec.mapper().createObjectNode().put("type", "call_error").put("id", nested.id());
                error.putObject("error").put("code", "pool_not_found").put("message", "the conformance kit runs no other pools");
                send(error, "the answer to nested call " + nested.id());
                continue;
            }
            if (line.message() instanceof Hello) {
                throw new Failed("said hello again (stdout line " + line.number() + "); the hello is sent once, first, and the agent restarts an instance that repeats it");
            }
            throw new Failed("while waiting for the answer to " + what + " it wrote (stdout line " + line.number() + ")\n" + quote(abbreviate(line.text(), 300))
                    + "\nEvery answer carries the id of the message it answers, and only a call or ping is answered; the agent restarts an instance that gets this wrong.");
        }
    }

    private String id(String prefix) {
        return "kit-" + prefix + "-" + ++ids;
    }

    private static String idOf(ChassisMessage m) {
        if (m instanceof Result r) return r.id();
        if (m instanceof Failure f) return f.id();
        if (m instanceof Pong p) return p.id();
        if (m instanceof CallPool c) return c.id();
        return "";
    }

    private static String type(JsonNode json) {
        return json == null ? "" : json.path("type").asText();
    }

    private static String type(Line line) {
        return type(line.json());
    }

    private String stderr() {
        return stderr(chassis);
    }

    private static String stderr(ChassisProcess process) {
        String tail = process == null ? "" : process.stderrTail();
        return tail.isBlank() ? "" : "\nLast lines on its stderr:\n  " + tail.replace("\n", "\n  ");
    }

    private static String ms(Duration d) {
        return d.toMillis() + " ms";
    }

    private static String quote(String text) {
        return "  " + text.replace("\n", "\\n");
    }

    static String abbreviate(String text, int max) {
        return text.length() <= max ? text : text.substring(0, max) + "... (" + text.length() + " characters)";
    }
}
