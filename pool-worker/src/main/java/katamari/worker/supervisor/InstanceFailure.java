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
        /** resident memory over the pool's maxRssMb; counts as a crash */
        OVER_MEMORY,
        /** did not answer a ping in time while idle */
        UNRESPONSIVE,
        /** was killed by the agent (deadline passed, drain) */
        KILLED,
        /** a call written ahead (pipeline) that the instance ended before starting: not the call's fault */
        NOT_STARTED
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
