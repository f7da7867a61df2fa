package katamari.chassis;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.EOFException;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import katamari.chassis.protocol.ChassisMessage;
import katamari.chassis.protocol.ChassisMessage.Call;
import katamari.chassis.protocol.ChassisMessage.CallError;
import katamari.chassis.protocol.ChassisMessage.CallPool;
import katamari.chassis.protocol.ChassisMessage.CallResult;
import katamari.chassis.protocol.ChassisMessage.Failure;
import katamari.chassis.protocol.ChassisMessage.Hello;
import katamari.chassis.protocol.ChassisMessage.MethodSpec;
import katamari.chassis.protocol.ChassisMessage.Ping;
import katamari.chassis.protocol.ChassisMessage.Pong;
import katamari.chassis.protocol.ChassisMessage.Result;
import katamari.topics.ErrorCode;
import katamari.topics.KatamariError;
import katamari.topics.WireCodec;

/**
 * A chassis written in Java:
 * <pre>{@code
 * Chassis.kind("echo")
 *     .handle("echo", List.of("text"), args -> args.text("text"))
 *     .handle("test_arguments", List.of("cowcat", Chassis.MORE), args -> args.values())
 *     .run();
 * }</pre>
 * {@link #run()} says hello, then answers calls one at a time until stdin closes or a handler returns and exits.
 * While it runs, {@code System.out} is redirected to stderr so that a stray {@code println} cannot corrupt the
 * protocol stream. A handler may call other pools with {@link Args#call}.
 */
public final class Chassis {
    /** Ends an argument list to accept arguments beyond the named ones: {@code List.of("cowcat", Chassis.MORE)}. */
    public static final String MORE = MethodSpec.MORE;

    private final String kind;
    private final Map<String, MethodSpec> specs = new LinkedHashMap<>();
    private final Map<String, Handler> handlers = new LinkedHashMap<>();

    private Chassis(String kind) {
        this.kind = kind;
    }

    public static Chassis kind(String kind) {
        return new Chassis(kind);
    }

    public Chassis handle(String method, List<String> argNames, Handler handler) {
        MethodSpec spec = new MethodSpec(argNames);
        if (handlers.putIfAbsent(method, handler) != null) {
            throw new IllegalArgumentException("method " + method + " is declared twice");
        }
        specs.put(method, spec);
        return this;
    }

    /** Wrap a handler's result in this to reply and then end the instance; the agent starts a fresh one. */
    public static Object returnAndExit(Object result) {
        return new ReturnAndExit(result);
    }

    private record ReturnAndExit(Object result) {}

    /** Serves on the process's stdin/stdout; returns when stdin closes or after a return-and-exit. */
    public void run() {
        PrintStream protocolOut = new PrintStream(new FileOutputStream(FileDescriptor.out), false, StandardCharsets.UTF_8);
        System.setOut(System.err);
        run(System.in, protocolOut);
    }

    /** Serves on the given streams (a seam for tests and for embedding). */
    public void run(InputStream in, OutputStream out) {
        PrintStream printer = out instanceof PrintStream ps ? ps : new PrintStream(out, false, StandardCharsets.UTF_8);
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            Conversation conversation = new Conversation(kind, reader, printer);
            conversation.send(new Hello(ChassisMessage.PROTOCOL, kind, specs));
            ChassisMessage message;
            while ((message = conversation.next()) != null) {
                if (message instanceof Ping p) {
                    conversation.send(new Pong(p.id()));
                } else if (message instanceof Call c) {
                    if (!answer(c, conversation)) {
                        return;
                    }
                } else {
                    conversation.log("ignoring an unexpected " + message.getClass().getSimpleName() + " while idle");
                }
            }
        } catch (IOException e) {
            System.err.println("chassis " + kind + ": stdin failed: " + e.getMessage());
        }
    }

    /** @return false when the instance should end */
    private boolean answer(Call call, Conversation conversation) {
        Handler handler = handlers.get(call.method());
        if (handler == null) {
            conversation.send(new Failure(call.id(), KatamariError.of(ErrorCode.METHOD_NOT_FOUND,
                    "kind " + kind + " has no method '" + call.method() + "'; it has " + handlers.keySet()), false));
            return true;
        }
        Object value;
        try {
            value = handler.handle(new Args(call.args(), call.deadline(), new NestedCalls(call.id(), conversation)));
        } catch (CallFailedException e) {
            ErrorCode code = ErrorCode.TIMEOUT.wire().equals(e.code()) ? ErrorCode.TIMEOUT : ErrorCode.HANDLER_ERROR;
            conversation.send(new Failure(call.id(), KatamariError.of(code, e.getMessage()), false));
            return true;
        } catch (Exception | StackOverflowError e) {
            e.printStackTrace(System.err);
            conversation.send(new Failure(call.id(), KatamariError.of(ErrorCode.HANDLER_ERROR, String.valueOf(e)), false));
            return true;
        }
        boolean exit = value instanceof ReturnAndExit;
        Object result = exit ? ((ReturnAndExit) value).result() : value;
        JsonNode json;
        try {
            json = WireCodec.mapper().valueToTree(result);
        } catch (IllegalArgumentException e) {
            conversation.send(new Failure(call.id(), KatamariError.of(ErrorCode.HANDLER_ERROR, "result is not serializable as JSON: " + e.getMessage()), exit));
            return !exit;
        }
        conversation.send(new Result(call.id(), json, exit));
        return !exit;
    }

    /** The nested calls of one outer call: ids {@code <call id>.n1}, {@code .n2}, ..., one at a time. */
    private static final class NestedCalls implements Calls {
        private final String callId;
        private final Conversation conversation;
        private int count;

        NestedCalls(String callId, Conversation conversation) {
            this.callId = callId;
            this.conversation = conversation;
        }

        @Override
        public JsonNode call(String pool, String method, ObjectNode args) {
            String id = callId + ".n" + ++count;
            conversation.send(new CallPool(id, pool, method, args));
            try {
                ChassisMessage message;
                while ((message = conversation.read()) != null) {
                    if (message instanceof CallResult r && r.id().equals(id)) {
                        return r.result();
                    } else if (message instanceof CallError e && e.id().equals(id)) {
                        throw new CallFailedException(pool, method, e.error());
                    } else if (message instanceof Ping p) {
                        conversation.send(new Pong(p.id()));
                    } else if (message instanceof Call c) {
                        conversation.keepForLater(c); // the next call, written ahead by a pipelining agent
                    } else {
                        conversation.log("ignoring an unexpected " + message.getClass().getSimpleName() + " while waiting for " + id);
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            throw new UncheckedIOException(new EOFException("stdin closed while waiting for the answer to " + id + ": the agent is stopping this instance"));
        }
    }
}
