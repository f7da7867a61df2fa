package katamari.config;

import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import java.time.Duration;

/**
 * @param launchTimeout how long a new instance may take to say hello
 * @param replyTimeout  how long producing one reply may block (a missing reply topic must not stall the agent)
 * @param killGrace     between SIGTERM and SIGKILL when the agent stops an instance
 */
public record WorkerSettings(
        @JsonSerialize(using = DurationCodec.Writer.class) @JsonDeserialize(using = DurationCodec.Reader.class) Duration launchTimeout,
        @JsonSerialize(using = DurationCodec.Writer.class) @JsonDeserialize(using = DurationCodec.Reader.class) Duration replyTimeout,
        @JsonSerialize(using = DurationCodec.Writer.class) @JsonDeserialize(using = DurationCodec.Reader.class) Duration killGrace) {

    public WorkerSettings {
        if (launchTimeout == null || launchTimeout.isZero() || launchTimeout.isNegative()) {
            throw new IllegalArgumentException("worker.launchTimeout must be positive");
        }
        if (replyTimeout == null || replyTimeout.isZero() || replyTimeout.isNegative()) {
            throw new IllegalArgumentException("worker.replyTimeout must be positive");
        }
        if (killGrace == null || killGrace.isNegative()) {
            throw new IllegalArgumentException("worker.killGrace must not be negative");
        }
    }

    public static WorkerSettings defaults() {
        return new WorkerSettings(Duration.ofSeconds(20), Duration.ofSeconds(5), Duration.ofSeconds(2));
    }
}
