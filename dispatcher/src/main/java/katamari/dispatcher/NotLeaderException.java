package katamari.dispatcher;

/** A master-only action asked of a dispatcher that does not lead (or stopped leading meanwhile). */
public final class NotLeaderException extends RuntimeException {
    public NotLeaderException(String message) {
        super(message);
    }
}
