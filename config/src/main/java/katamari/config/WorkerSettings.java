package katamari.config;

import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import java.time.Duration;
import java.util.List;

/**
 * How a worker agent supervises its instances.
 *
 * @param launchTimeout    how long a new instance may take to say hello
 * @param replyTimeout     how long producing one reply may block (a missing reply topic must not stall the agent)
 * @param killGrace        between SIGTERM and SIGKILL when the agent stops an instance
 * @param pingInterval     an idle instance is pinged this often
 * @param pingTimeout      an instance that does not pong within this is killed and restarted
 * @param maxBackoff       ceiling of the exponential restart backoff
 * @param healthyAfter     an instance up this long resets its restart backoff
 * @param degradedAfter    consecutive failed launches after which the pool-version is reported degraded
 * @param memoryCheck      how often instance memory (RSS) is sampled for pools with {@code maxRssMb}
 * @param allowedCommands  executables (exact paths or names) and directories an instance's {@code argv[0]} must
 *                         match or lie under; empty allows nothing. {@code ${KATAMARI_HOME}} is substituted.
 * @param id               this agent's worker id, stable across its restarts (null: a random {@code w} + 6 hex digits
 *                         per start). A restarted agent with the same id is the same worker to the masters: its
 *                         placement, its reply topic and its place in {@code /cluster} are its own again.
 */
public record WorkerSettings(
        @JsonSerialize(using = DurationCodec.Writer.class) @JsonDeserialize(using = DurationCodec.Reader.class) Duration launchTimeout,
        @JsonSerialize(using = DurationCodec.Writer.class) @JsonDeserialize(using = DurationCodec.Reader.class) Duration replyTimeout,
        @JsonSerialize(using = DurationCodec.Writer.class) @JsonDeserialize(using = DurationCodec.Reader.class) Duration killGrace,
        @JsonSerialize(using = DurationCodec.Writer.class) @JsonDeserialize(using = DurationCodec.Reader.class) Duration pingInterval,
        @JsonSerialize(using = DurationCodec.Writer.class) @JsonDeserialize(using = DurationCodec.Reader.class) Duration pingTimeout,
        @JsonSerialize(using = DurationCodec.Writer.class) @JsonDeserialize(using = DurationCodec.Reader.class) Duration maxBackoff,
        @JsonSerialize(using = DurationCodec.Writer.class) @JsonDeserialize(using = DurationCodec.Reader.class) Duration healthyAfter,
        Integer degradedAfter,
        @JsonSerialize(using = DurationCodec.Writer.class) @JsonDeserialize(using = DurationCodec.Reader.class) Duration memoryCheck,
        List<String> allowedCommands,
        String id) {
    private static final String ID_PATTERN = "[a-z0-9][a-z0-9_-]{0,31}";

    public WorkerSettings {
        launchTimeout = positive("launchTimeout", launchTimeout, Duration.ofSeconds(20));
        replyTimeout = positive("replyTimeout", replyTimeout, Duration.ofSeconds(5));
        killGrace = killGrace == null ? Duration.ofSeconds(2) : killGrace;
        if (killGrace.isNegative()) {
            throw new IllegalArgumentException("worker.killGrace must not be negative");
        }
        pingInterval = positive("pingInterval", pingInterval, Duration.ofSeconds(5));
        pingTimeout = positive("pingTimeout", pingTimeout, Duration.ofSeconds(3));
        maxBackoff = positive("maxBackoff", maxBackoff, Duration.ofSeconds(10));
        healthyAfter = positive("healthyAfter", healthyAfter, Duration.ofSeconds(30));
        degradedAfter = degradedAfter == null ? 3 : degradedAfter;
        if (degradedAfter < 1) {
            throw new IllegalArgumentException("worker.degradedAfter must be at least 1, was " + degradedAfter);
        }
        memoryCheck = positive("memoryCheck", memoryCheck, Duration.ofSeconds(1));
        allowedCommands = allowedCommands == null ? List.of() : List.copyOf(allowedCommands);
        id = id == null || id.isBlank() ? null : id;
        if (id != null && !id.matches(ID_PATTERN)) {
            // it names a Kafka topic (katamari.replies.<id>) and instance ids
            throw new IllegalArgumentException("worker.id must match " + ID_PATTERN + ", was '" + id + "'");
        }
    }

    /** Without a worker id: a random one per start. */
    public WorkerSettings(Duration launchTimeout, Duration replyTimeout, Duration killGrace, Duration pingInterval, Duration pingTimeout,
                          Duration maxBackoff, Duration healthyAfter, Integer degradedAfter, Duration memoryCheck, List<String> allowedCommands) {
        this(launchTimeout, replyTimeout, killGrace, pingInterval, pingTimeout, maxBackoff, healthyAfter, degradedAfter, memoryCheck,
                allowedCommands, null);
    }

    public WorkerSettings withLaunchTimeout(Duration newLaunchTimeout) {
        return new WorkerSettings(newLaunchTimeout, replyTimeout, killGrace, pingInterval, pingTimeout, maxBackoff, healthyAfter,
                degradedAfter, memoryCheck, allowedCommands, id);
    }

    public WorkerSettings withReplyTimeout(Duration newReplyTimeout) {
        return new WorkerSettings(launchTimeout, newReplyTimeout, killGrace, pingInterval, pingTimeout, maxBackoff, healthyAfter,
                degradedAfter, memoryCheck, allowedCommands, id);
    }

    public WorkerSettings withKillGrace(Duration newKillGrace) {
        return new WorkerSettings(launchTimeout, replyTimeout, newKillGrace, pingInterval, pingTimeout, maxBackoff, healthyAfter,
                degradedAfter, memoryCheck, allowedCommands, id);
    }

    public WorkerSettings withPingInterval(Duration newPingInterval) {
        return new WorkerSettings(launchTimeout, replyTimeout, killGrace, newPingInterval, pingTimeout, maxBackoff, healthyAfter,
                degradedAfter, memoryCheck, allowedCommands, id);
    }

    public WorkerSettings withPingTimeout(Duration newPingTimeout) {
        return new WorkerSettings(launchTimeout, replyTimeout, killGrace, pingInterval, newPingTimeout, maxBackoff, healthyAfter,
                degradedAfter, memoryCheck, allowedCommands, id);
    }

    public WorkerSettings withMaxBackoff(Duration newMaxBackoff) {
        return new WorkerSettings(launchTimeout, replyTimeout, killGrace, pingInterval, pingTimeout, newMaxBackoff, healthyAfter,
                degradedAfter, memoryCheck, allowedCommands, id);
    }

    public WorkerSettings withHealthyAfter(Duration newHealthyAfter) {
        return new WorkerSettings(launchTimeout, replyTimeout, killGrace, pingInterval, pingTimeout, maxBackoff, newHealthyAfter,
                degradedAfter, memoryCheck, allowedCommands, id);
    }

    public WorkerSettings withDegradedAfter(int newDegradedAfter) {
        return new WorkerSettings(launchTimeout, replyTimeout, killGrace, pingInterval, pingTimeout, maxBackoff, healthyAfter,
                newDegradedAfter, memoryCheck, allowedCommands, id);
    }

    public WorkerSettings withMemoryCheck(Duration newMemoryCheck) {
        return new WorkerSettings(launchTimeout, replyTimeout, killGrace, pingInterval, pingTimeout, maxBackoff, healthyAfter,
                degradedAfter, newMemoryCheck, allowedCommands, id);
    }

    public WorkerSettings withAllowedCommands(List<String> newAllowedCommands) {
        return new WorkerSettings(launchTimeout, replyTimeout, killGrace, pingInterval, pingTimeout, maxBackoff, healthyAfter,
                degradedAfter, memoryCheck, newAllowedCommands, id);
    }

    public WorkerSettings withId(String newId) {
        return new WorkerSettings(launchTimeout, replyTimeout, killGrace, pingInterval, pingTimeout, maxBackoff, healthyAfter, degradedAfter,
                memoryCheck, allowedCommands, newId);
    }

    private static Duration positive(String name, Duration value, Duration dflt) {
        Duration d = value == null ? dflt : value;
        if (d.isZero() || d.isNegative()) {
            throw new IllegalArgumentException("worker." + name + " must be positive");
        }
        return d;
    }

    public static WorkerSettings defaults() {
        return new WorkerSettings(null, null, null, null, null, null, null, null, null, null);
    }
}
