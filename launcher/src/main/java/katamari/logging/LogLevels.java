package katamari.logging;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Locale;
import java.util.Properties;
import org.slf4j.event.Level;

/**
 * Log levels for the JSON format, read from the same {@code simplelogger.properties} (and system properties) as the
 * text format, so one file sets the levels of both: {@code defaultLogLevel}, and {@code log.<name>} for a logger
 * and the loggers under it (the longest dotted prefix wins). {@code off} silences a logger.
 */
final class LogLevels {
    private static final String PREFIX = "org.slf4j.simpleLogger.";
    /** above ERROR: nothing passes */
    static final int OFF = Integer.MAX_VALUE;
    private final Properties properties;

    private LogLevels(Properties properties) {
        this.properties = properties;
    }

    static LogLevels fromClassPath() {
        Properties p = new Properties();
        try (InputStream in = LogLevels.class.getResourceAsStream("/simplelogger.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        System.getProperties().stringPropertyNames().stream().filter(k -> k.startsWith(PREFIX))
                .forEach(k -> p.setProperty(k, System.getProperty(k)));
        return new LogLevels(p);
    }

    /** The threshold of logger {@code name}, as {@link Level#toInt()}; {@link #OFF} for a logger that is off. */
    int of(String name) {
        for (String n = name; !n.isEmpty(); n = n.contains(".") ? n.substring(0, n.lastIndexOf('.')) : "") {
            String v = properties.getProperty(PREFIX + "log." + n);
            if (v != null) {
                return parse(v);
            }
        }
        return parse(properties.getProperty(PREFIX + "defaultLogLevel", "info"));
    }

    private static int parse(String v) {
        String level = v.trim().toUpperCase(Locale.ROOT);
        return level.equals("OFF") ? OFF : Level.valueOf(level).toInt();
    }
}
