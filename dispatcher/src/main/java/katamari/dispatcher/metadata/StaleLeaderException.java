package katamari.dispatcher.metadata;

/** A metadata write refused because its fencing token is not the current master's (or could not be confirmed). */
public final class StaleLeaderException extends RuntimeException {
    private final long token;

    public StaleLeaderException(long token, String message) {
        super(message);
        this.token = token;
    }

    public long token() {
        return token;
    }
}
