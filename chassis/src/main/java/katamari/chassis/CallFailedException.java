package katamari.chassis;

import katamari.topics.KatamariError;

/**
 * A nested call answered with an error. Left uncaught in a handler, it becomes the outer call's error:
 * {@code timeout} stays {@code timeout} (the outer call shares the deadline, so it has run out too), any other code
 * becomes {@code handler_error} naming the inner pool and its code.
 */
public final class CallFailedException extends RuntimeException {
    private final String pool;
    private final String method;
    private final KatamariError error;

    public CallFailedException(String pool, String method, KatamariError error) {
        super("call to " + pool + "." + method + " failed: " + error.code() + ": " + error.message());
        this.pool = pool;
        this.method = method;
        this.error = error;
    }

    public String pool() {
        return pool;
    }

    public String method() {
        return method;
    }

    /** The error code on the wire, e.g. {@code "timeout"}. */
    public String code() {
        return error.code();
    }

    public KatamariError error() {
        return error;
    }
}
