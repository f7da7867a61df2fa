package katamari.logging;

import org.slf4j.ILoggerFactory;
import org.slf4j.IMarkerFactory;
import org.slf4j.helpers.BasicMDCAdapter;
import org.slf4j.helpers.BasicMarkerFactory;
import org.slf4j.spi.MDCAdapter;
import org.slf4j.spi.SLF4JServiceProvider;

/**
 * The SLF4J provider of {@code KATAMARI_LOG_FORMAT=json}. It is not registered as a service (slf4j-simple stays the
 * one found on the class path); {@link LogFormat} names it in {@code slf4j.provider} before anything logs. Unlike
 * slf4j-simple it keeps an MDC, which is where pool, version, instance and request id come from.
 */
public final class JsonLinesProvider implements SLF4JServiceProvider {
    private ILoggerFactory loggers;
    private IMarkerFactory markers;
    private MDCAdapter mdc;

    @Override
    public ILoggerFactory getLoggerFactory() {
        return loggers;
    }

    @Override
    public IMarkerFactory getMarkerFactory() {
        return markers;
    }

    @Override
    public MDCAdapter getMDCAdapter() {
        return mdc;
    }

    @Override
    public String getRequestedApiVersion() {
        return "2.0.99";
    }

    @Override
    public void initialize() {
        markers = new BasicMarkerFactory();
        mdc = new BasicMDCAdapter();
        loggers = new JsonLinesLoggers(LogLevels.fromClassPath(), JsonLines.shared());
    }
}
