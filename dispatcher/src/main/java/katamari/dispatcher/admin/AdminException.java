package katamari.dispatcher.admin;

/** An admin call refused with an HTTP status, a code and a message saying what to fix; {@link AdminApi} renders it. */
public final class AdminException extends RuntimeException {
    private final int status;
    private final String code;

    public AdminException(int status, String code, String message) {
        super(message);
        this.status = status;
        this.code = code;
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }
}
