package katamari.worker;

/**
 * What one instance slot is doing, for heartbeats, stats and logs.
 *
 * @param restarts how many times this slot has (re)started its instance after a failure
 * @param degraded the slot's launches keep failing (see {@code worker.degradedAfter})
 * @param rssKb    the instance's resident memory in kB as Linux reports it, -1 when no process runs (or not Linux)
 */
public record InstanceStatus(String instance, String pool, String version, State state, long pid, int restarts, boolean degraded,
                             String lastFailure, long rssKb) {
    public enum State { STARTING, IDLE, BUSY, BACKOFF, STOPPING, STOPPED, REFUSED }
}
