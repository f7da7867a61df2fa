package katamari.logging;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import katamari.config.LogKeys;
import org.slf4j.MDC;

/**
 * Writes log records as JSON lines, one object per record: {@code time} (ISO-8601, UTC), {@code level},
 * {@code role}, {@code pool}, {@code version}, {@code instance}, {@code requestId} (null when unknown),
 * {@code logger}, {@code thread}, {@code message}, and {@code error} (the stack trace) when there is one.
 *
 * <p>{@code role} is the role the logging code belongs to, from its logger's package, so the gateway, worker and
 * dispatcher of one {@code dev} JVM keep apart; anything else (Kafka, Hazelcast, Jetty) gets the process's role.
 */
final class JsonLines {
    private static final JsonLines SHARED = new JsonLines(System.out);
    private static final JsonFactory JSON = new JsonFactory();
    private static final Map<String, String> ROLE_OF_PACKAGE = Map.of(
            "katamari.gateway.", "gateway", "katamari.worker.", "worker", "katamari.instance", "worker",
            "katamari.dispatcher.", "dispatcher", "katamari.kafka.", "broker");

    private final PrintStream out;
    private volatile String role = "katamari";

    private JsonLines(PrintStream out) {
        this.out = out;
    }

    static JsonLines shared() {
        return SHARED;
    }

    void role(String role) {
        this.role = role;
    }

    void write(String level, String logger, String message, Throwable error) {
        StringWriter line = new StringWriter(160);
        try (JsonGenerator g = JSON.createGenerator(line)) {
            g.writeStartObject();
            g.writeStringField("time", Instant.ofEpochMilli(System.currentTimeMillis()).toString());
            g.writeStringField("level", level);
            g.writeStringField("role", roleOf(logger));
            g.writeStringField("pool", MDC.get(LogKeys.POOL));
            g.writeStringField("version", MDC.get(LogKeys.VERSION));
            g.writeStringField("instance", MDC.get(LogKeys.INSTANCE));
            g.writeStringField("requestId", MDC.get(LogKeys.REQUEST_ID));
            g.writeStringField("logger", logger);
            g.writeStringField("thread", Thread.currentThread().getName());
            g.writeStringField("message", message);
            if (error != null) {
                StringWriter trace = new StringWriter();
                error.printStackTrace(new PrintWriter(trace));
                g.writeStringField("error", trace.toString());
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        synchronized (out) {
            out.println(line);
        }
    }

    private String roleOf(String logger) {
        for (Map.Entry<String, String> e : ROLE_OF_PACKAGE.entrySet()) {
            if (logger.startsWith(e.getKey())) {
                return e.getValue();
            }
        }
        return role;
    }

    /** A stream whose every line becomes a record of {@code logger} at {@code level}: System.out and System.err. */
    PrintStream lines(String level, String logger) {
        return new PrintStream(new OutputStream() {
            private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

            @Override
            public synchronized void write(int b) {
                if (b == '\n') {
                    String text = pending.toString(StandardCharsets.UTF_8);
                    pending.reset();
                    JsonLines.this.write(level, logger, text.endsWith("\r") ? text.substring(0, text.length() - 1) : text, null);
                } else {
                    pending.write(b);
                }
            }
        }, true, StandardCharsets.UTF_8);
    }
}
