package katamari.config;

import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import katamari.topics.Names;

/**
 * One pool-version and how to run it.
 *
 * @param command  an argv array, never passed through a shell
 * @param timeout  the default deadline of a request that carries none
 * @param attempts how many times a request may be handed to an instance that then crashes
 * @param maxRssMb   an instance whose resident memory exceeds this is killed and restarted (null: no limit)
 * @param maxRequests an instance is recycled after this many requests (null: never)
 * @param env        variables set for every instance
 * @param inheritEnv names of the agent's variables an instance also sees (default: PATH); nothing else of the
 *                   agent's environment reaches an instance besides {@code KATAMARI_POOL/VERSION/INSTANCE}
 */
public record PoolDefinition(
        String name,
        String version,
        List<String> command,
        Integer instances,
        @JsonSerialize(using = DurationCodec.Writer.class) @JsonDeserialize(using = DurationCodec.Reader.class) Duration timeout,
        Integer attempts,
        Integer maxRssMb,
        Integer maxRequests,
        Map<String, String> env,
        List<String> inheritEnv) {

    public PoolDefinition {
        Names.requireValid("pool", name);
        Names.requireValid("version", version);
        if (command == null || command.isEmpty() || command.stream().anyMatch(a -> a == null || a.isEmpty())) {
            throw new IllegalArgumentException("pool " + name + "/" + version + ": command must be a non-empty argv array of non-empty strings");
        }
        instances = instances == null ? 1 : instances;
        if (instances < 0 || instances > 1024) {
            throw new IllegalArgumentException("pool " + name + "/" + version + ": instances must be 0-1024, was " + instances);
        }
        timeout = timeout == null ? Duration.ofSeconds(30) : timeout;
        if (timeout.isZero() || timeout.isNegative()) {
            throw new IllegalArgumentException("pool " + name + "/" + version + ": timeout must be positive");
        }
        attempts = attempts == null ? 2 : attempts;
        if (attempts < 1) {
            throw new IllegalArgumentException("pool " + name + "/" + version + ": attempts must be at least 1, was " + attempts);
        }
        if (maxRssMb != null && maxRssMb < 1) {
            throw new IllegalArgumentException("pool " + name + "/" + version + ": maxRssMb must be positive, was " + maxRssMb);
        }
        if (maxRequests != null && maxRequests < 1) {
            throw new IllegalArgumentException("pool " + name + "/" + version + ": maxRequests must be positive, was " + maxRequests);
        }
        command = List.copyOf(command);
        env = env == null ? Map.of() : Map.copyOf(env);
        inheritEnv = inheritEnv == null ? List.of("PATH") : List.copyOf(inheritEnv);
    }

    public String key() {
        return name + "/" + version;
    }
}
