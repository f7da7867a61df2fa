package katamari.worker.supervisor;

/** Why an instance stopped being usable; carries the tail of its stderr for the log and the dead-letter headers. */
public final class InstanceFailure extends Exception {
    public enum Reason {
        /** exited or was killed while it had a request */
        CRASHED,
        /** wrote something that is not protocol, or answered the wrong id */
        GARBAGE,
        /** no hello within the launch timeout, or exited before it */
        LAUNCH_FAILED,
        /** was killed by the agent (deadline passed, drain) */
        KILLED
    }

    private final Reason reason;
    private final String stderrTail;

    public InstanceFailure(Reason reason, String message, String stderrTail) {
        super(message);
        this.reason = reason;
        this.stderrTail = stderrTail == null ? "" : stderrTail;
    }

    public Reason reason() {
        return reason;
    }

    public String stderrTail() {
        return stderrTail;
    }
}
