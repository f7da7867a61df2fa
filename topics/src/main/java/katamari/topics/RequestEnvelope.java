package katamari.topics;

import java.util.Objects;
import java.util.OptionalLong;

/**
 * A request as it travels (DESIGN.md "Request record"): the correlation id, the topic for the reply, the deadline,
 * the version the caller pinned, and the request itself. {@link KafkaRecords} maps it to and from a Kafka record;
 * nothing else reads or writes a request's headers.
 *
 * @param id         the correlation id; null only when no reply is wanted
 * @param replyTo    the topic for the reply; null means fire-and-forget
 * @param deadline   epoch milliseconds; empty means the pool's default timeout applies
 * @param versionPin the version the caller pinned (informational), or null
 */
public record RequestEnvelope(String id, String replyTo, OptionalLong deadline, String versionPin, Request request) {
    public RequestEnvelope {
        Objects.requireNonNull(deadline, "deadline (use OptionalLong.empty())");
        Objects.requireNonNull(request, "request");
        requireNonBlank(HeaderNames.ID, id);
        requireNonBlank(HeaderNames.REPLY_TO, replyTo);
        requireNonBlank(HeaderNames.VERSION_PIN, versionPin);
        if (replyTo != null && id == null) {
            throw new IllegalArgumentException("a request that wants a reply (" + HeaderNames.REPLY_TO + ") needs an id (" + HeaderNames.ID + ")");
        }
        if (deadline.isPresent() && deadline.getAsLong() < 0) {
            throw new IllegalArgumentException(HeaderNames.DEADLINE + " must be epoch milliseconds, not " + deadline.getAsLong());
        }
    }

    /** A request that wants its reply on {@code replyTo} by {@code deadlineMillis}. */
    public static RequestEnvelope call(String id, String replyTo, long deadlineMillis, String versionPin, Request request) {
        return new RequestEnvelope(Objects.requireNonNull(id, "id"), Objects.requireNonNull(replyTo, "replyTo"),
                OptionalLong.of(deadlineMillis), versionPin, request);
    }

    /** A request that wants no reply (no {@code katamari-reply-to}). */
    public static RequestEnvelope oneWay(String id, long deadlineMillis, String versionPin, Request request) {
        return new RequestEnvelope(id, null, OptionalLong.of(deadlineMillis), versionPin, request);
    }

    public boolean wantsReply() {
        return replyTo != null;
    }

    /** The deadline, or {@code fallback} (e.g. the record's time plus the pool's timeout) when the request has none. */
    public long deadlineOr(long fallback) {
        return deadline.orElse(fallback);
    }

    private static void requireNonBlank(String header, String value) {
        if (value != null && value.isBlank()) {
            throw new IllegalArgumentException(header + " is empty");
        }
    }
}
