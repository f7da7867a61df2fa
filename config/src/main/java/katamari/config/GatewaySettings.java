package katamari.config;

import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import java.time.Duration;
import katamari.topics.Names;

/**
 * @param id        names the gateway's reply topic; null means a random one at each start
 * @param timeout   the global ceiling for any request; {@code Katamari-Timeout-Ms} may only shorten it
 */
public record GatewaySettings(
        String host,
        int port,
        String id,
        @JsonSerialize(using = DurationCodec.Writer.class) @JsonDeserialize(using = DurationCodec.Reader.class) Duration timeout,
        int maxBodyBytes) {

    public GatewaySettings {
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("gateway.host must be set (127.0.0.1 to stay on this machine)");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("gateway.port must be 0-65535, was " + port);
        }
        if (id != null) {
            Names.requireValid("gateway id", id);
        }
        if (timeout == null || timeout.isZero() || timeout.isNegative()) {
            throw new IllegalArgumentException("gateway.timeout must be positive");
        }
        if (maxBodyBytes < 1) {
            throw new IllegalArgumentException("gateway.maxBodyBytes must be positive");
        }
    }

    public static GatewaySettings defaults() {
        return new GatewaySettings("127.0.0.1", 8080, null, Duration.ofSeconds(30), 1024 * 1024);
    }

    public GatewaySettings withPort(int newPort) {
        return new GatewaySettings(host, newPort, id, timeout, maxBodyBytes);
    }
}
