package katamari.logging;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.slf4j.ILoggerFactory;
import org.slf4j.Logger;
import org.slf4j.event.Level;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;

/** One logger per name, each with the level {@link LogLevels} gives it, all writing to one {@link JsonLines}. */
final class JsonLinesLoggers implements ILoggerFactory {
    private final LogLevels levels;
    private final JsonLines out;
    private final ConcurrentMap<String, Logger> loggers = new ConcurrentHashMap<>();

    JsonLinesLoggers(LogLevels levels, JsonLines out) {
        this.levels = levels;
        this.out = out;
    }

    @Override
    public Logger getLogger(String name) {
        return loggers.computeIfAbsent(name, n -> new JsonLinesLogger(n, levels.of(n), out));
    }

    private static final class JsonLinesLogger extends LegacyAbstractLogger {
        private final int threshold;
        private final transient JsonLines out;

        JsonLinesLogger(String name, int threshold, JsonLines out) {
            this.name = name;
            this.threshold = threshold;
            this.out = out;
        }

        private boolean on(Level level) {
            return level.toInt() >= threshold;
        }

        @Override
        public boolean isTraceEnabled() {
            return on(Level.TRACE);
        }

        @Override
        public boolean isDebugEnabled() {
            return on(Level.DEBUG);
        }

        @Override
        public boolean isInfoEnabled() {
            return on(Level.INFO);
        }

        @Override
        public boolean isWarnEnabled() {
            return on(Level.WARN);
        }

        @Override
        public boolean isErrorEnabled() {
            return on(Level.ERROR);
        }

        @Override
        protected String getFullyQualifiedCallerName() {
            return null;
        }

        @Override
        protected void handleNormalizedLoggingCall(Level level, org.slf4j.Marker marker, String pattern, Object[] args, Throwable t) {
            out.write(level.name(), name, MessageFormatter.basicArrayFormat(pattern, args), t);
        }
    }
}
