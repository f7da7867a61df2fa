package katamari.topics;

/**
 * A request record that is not what DESIGN.md says: a garbled header, or a value that is not a request. It carries
 * what could still be read, so the receiver can answer the caller ({@code bad_request}) when it knows where to.
 */
public final class MalformedRequestException extends MalformedRecordException {
    private final String header;
    private final String id;
    private final String replyTo;
    private final boolean wantsReply;

    MalformedRequestException(String message, String header, String id, String replyTo, boolean wantsReply, Throwable cause) {
        super(message, cause);
        this.header = header;
        this.id = id;
        this.replyTo = replyTo;
        this.wantsReply = wantsReply;
    }

    /** The header that was wrong, or null when the value was. */
    public String header() {
        return header;
    }

    /** The correlation id, when it could be read; else null. */
    public String id() {
        return id;
    }

    /** The reply topic, when it could be read; else null. */
    public String replyTo() {
        return replyTo;
    }

    /** True when the record has a reply topic header at all, readable or not: somebody waits for an answer. */
    public boolean wantsReply() {
        return wantsReply;
    }

    /** True when a reply can reach the caller: both the id and the reply topic were readable. */
    public boolean canReply() {
        return id != null && replyTo != null;
    }
}
