package katamari.chassis;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import katamari.chassis.protocol.ChassisMessage;
import katamari.chassis.protocol.ChassisMessage.Call;
import katamari.chassis.protocol.ChassisMessage.Failure;
import katamari.chassis.protocol.ChassisMessage.Hello;
import katamari.chassis.protocol.ChassisMessage.MethodSpec;
import katamari.chassis.protocol.ChassisMessage.Ping;
import katamari.chassis.protocol.ChassisMessage.Pong;
import katamari.chassis.protocol.ChassisMessage.Result;
import katamari.chassis.protocol.ProtocolCodec;
import katamari.topics.ErrorCode;
import katamari.topics.KatamariError;
import katamari.topics.MalformedRecordException;
import katamari.topics.WireCodec;

/**
 * A chassis written in Java:
 * <pre>{@code
 * Chassis.kind("echo")
 *     .handle("echo", List.of("text"), args -> args.text("text"))
 *     .run();
 * }</pre>
 * {@link #run()} says hello, then answers calls one at a time until stdin closes or a handler returns and exits.
 * While it runs, {@code System.out} is redirected to stderr so that a stray {@code println} cannot corrupt the
 * protocol stream.
 */
public final class Chassis {
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
        if (handlers.putIfAbsent(method, handler) != null) {
            throw new IllegalArgumentException("method " + method + " is declared twice");
        }
        specs.put(method, new MethodSpec(argNames));
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
        send(printer, new Hello(ChassisMessage.PROTOCOL, kind, specs));
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                if (line.isBlank()) {
                    continue;
                }
                if (!serve(line, printer)) {
                    return;
                }
            }
        } catch (IOException e) {
            System.err.println("chassis " + kind + ": stdin failed: " + e.getMessage());
        }
    }

    /** @return false when the instance should end */
    private boolean serve(String line, PrintStream out) {
        ChassisMessage message;
        try {
            message = ProtocolCodec.decode(line);
        } catch (MalformedRecordException e) {
            System.err.println("chassis " + kind + ": ignoring a line that is not protocol: " + e.getMessage());
            return true;
        }
        if (message instanceof Ping p) {
            send(out, new Pong(p.id()));
        } else if (message instanceof Call c) {
            return answer(c, out);
        } else {
            System.err.println("chassis " + kind + ": ignoring unexpected " + message.getClass().getSimpleName());
        }
        return true;
    }

    private boolean answer(Call call, PrintStream out) {
        Handler handler = handlers.get(call.method());
        if (handler == null) {
            send(out, new Failure(call.id(), KatamariError.of(ErrorCode.METHOD_NOT_FOUND,
                    "kind " + kind + " has no method '" + call.method() + "'; it has " + handlers.keySet()), false));
            return true;
        }
        Object value;
        try {
            value = handler.handle(new Args(call.args(), call.deadline()));
        } catch (Exception | StackOverflowError e) {
            send(out, new Failure(call.id(), KatamariError.of(ErrorCode.HANDLER_ERROR, String.valueOf(e)), false));
            return true;
        }
        boolean exit = value instanceof ReturnAndExit;
        Object result = exit ? ((ReturnAndExit) value).result() : value;
        JsonNode json;
        try {
            json = WireCodec.mapper().valueToTree(result);
        } catch (IllegalArgumentException e) {
            send(out, new Failure(call.id(), KatamariError.of(ErrorCode.HANDLER_ERROR, "result is not serializable as JSON: " + e.getMessage()), exit));
            return !exit;
        }
        send(out, new Result(call.id(), json, exit));
        return !exit;
    }

    private static void send(PrintStream out, ChassisMessage message) {
        out.print(ProtocolCodec.encode(message));
        out.print('\n');
        out.flush();
    }
}
