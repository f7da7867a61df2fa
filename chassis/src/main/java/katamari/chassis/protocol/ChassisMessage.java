package katamari.chassis.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import katamari.topics.KatamariError;

/** The lines of chassis protocol v1 (DESIGN.md, docs/chassis-protocol.md), one JSON object per line on stdin/stdout. */
public sealed interface ChassisMessage {
    int PROTOCOL = 1;

    /**
     * What a method accepts: its argument names, in the order the handler declared them. A last name of
     * {@link #MORE} ({@code "..."}) means the method also accepts arguments it did not name.
     */
    record MethodSpec(List<String> args) {
        /** Ends an argument list that accepts extra arguments: {@code ["cowcat", "..."]}. */
        public static final String MORE = "...";

        public MethodSpec {
            args = List.copyOf(args);
            Set<String> seen = new HashSet<>();
            for (int i = 0; i < args.size(); i++) {
                String name = args.get(i);
                if (MORE.equals(name) && i != args.size() - 1) {
                    throw new IllegalArgumentException("'" + MORE + "' may only be the last argument name, was at position " + (i + 1) + " of " + args);
                }
                if (!seen.add(name)) {
                    throw new IllegalArgumentException("argument name '" + name + "' is declared twice in " + args);
                }
            }
        }

        /** The declared names without the trailing {@link #MORE}: every one of them is required. */
        public List<String> named() {
            return acceptsMore() ? args.subList(0, args.size() - 1) : args;
        }

        public boolean acceptsMore() {
            return !args.isEmpty() && MORE.equals(args.get(args.size() - 1));
        }

        /**
         * Why a call with these argument names does not fit this method, or empty when it does: every named
         * argument must be given, and other names only when the method {@link #acceptsMore() accepts more}.
         */
        public Optional<String> mismatch(Collection<String> given) {
            Set<String> missing = new TreeSet<>(named());
            missing.removeAll(given);
            Set<String> unexpected = new TreeSet<>(given);
            named().forEach(unexpected::remove);
            if (acceptsMore()) {
                unexpected.clear();
            }
            if (missing.isEmpty() && unexpected.isEmpty()) {
                return Optional.empty();
            }
            List<String> problems = new ArrayList<>();
            if (!missing.isEmpty()) problems.add("missing " + missing);
            if (!unexpected.isEmpty()) problems.add("not accepted " + unexpected);
            return Optional.of("takes arguments " + args + "; " + String.join(", ", problems));
        }
    }

    /** The instance's first line: who it is and what it serves. */
    record Hello(int protocol, String kind, Map<String, MethodSpec> methods) implements ChassisMessage {
        public Hello {
            methods = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(methods));
        }
    }

    /** A request for the instance; {@code deadline} is epoch milliseconds. */
    record Call(String id, String method, ObjectNode args, long deadline) implements ChassisMessage {}

    /** A successful answer; {@code exit} means the instance ends after sending it ("return and exit"). */
    record Result(String id, JsonNode result, boolean exit) implements ChassisMessage {}

    /** A failed answer. */
    record Failure(String id, KatamariError error, boolean exit) implements ChassisMessage {}

    record Ping(String id) implements ChassisMessage {}

    record Pong(String id) implements ChassisMessage {}

    /**
     * A nested call: while it handles a call, the instance asks its agent to call another pool. The agent answers
     * with a {@link CallResult} or {@link CallError} of the same id, within the outer call's deadline.
     */
    record CallPool(String id, String pool, String method, ObjectNode args) implements ChassisMessage {}

    /** The other pool's result of a nested call. */
    record CallResult(String id, JsonNode result) implements ChassisMessage {}

    /** Why a nested call failed: the other pool's error, or the agent's ({@code timeout}, {@code pool_not_found}, ...). */
    record CallError(String id, KatamariError error) implements ChassisMessage {}
}
