package katamari.topics;

/** A record value or protocol line that is not what the contract says; the message says what was wrong. */
public class MalformedRecordException extends RuntimeException {
    public MalformedRecordException(String message) {
        super(message);
    }

    public MalformedRecordException(String message, Throwable cause) {
        super(message, cause);
    }
}
