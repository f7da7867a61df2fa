package katamari.dispatcher.rollout;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import katamari.topics.WireCodec;

/**
 * One dispatcher's admin API, with the admin key (sent, never printed): what a rollout, a local cluster and the
 * tests call it through.
 */
public final class AdminClient {
    /** Shared: an HTTP client is heavy, and callers make one AdminClient per dispatcher or per call. */
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(30);
    /** A view is polled, often of a dispatcher that is down or frozen: ask again soon rather than wait. */
    private static final Duration VIEW_TIMEOUT = Duration.ofSeconds(2);

    /** An admin answer. */
    public record Reply(int status, JsonNode body) {
        public boolean ok() {
            return status >= 200 && status < 300;
        }

        /** The error code of a refusal, or null. */
        public String code() {
            return body.path("error").path("code").asText(null);
        }

        public String message() {
            return body.path("error").path("message").asText("");
        }

        public String error() {
            return status + " " + body.path("error").path("code").asText("") + ": " + body.path("error").path("message").asText(body.toString());
        }
    }

    private final String baseUrl;
    private final String key;

    /** @param key the admin key, or null for an open admin API (dev) */
    public AdminClient(String baseUrl, String key) {
        this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        this.key = key;
    }

    /** @throws IllegalStateException if the admin API cannot be reached */
    public Reply call(String method, String path, String body) {
        return call(method, path, body, CALL_TIMEOUT);
    }

    /** {@code GET /cluster}, or null when this dispatcher does not answer it (down, frozen, or refusing). */
    public JsonNode clusterView() {
        try {
            Reply r = call("GET", "/cluster", null, VIEW_TIMEOUT);
            return r.status() == 200 ? r.body() : null;
        } catch (IllegalStateException e) {
            return null;
        }
    }

    private Reply call(String method, String path, String body, Duration timeout) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(timeout)
                .header("content-type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        try {
            HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
            return new Reply(r.statusCode(), r.body().isBlank() ? WireCodec.mapper().createObjectNode() : WireCodec.parse(r.body()));
        } catch (IOException e) {
            throw new IllegalStateException("admin API " + baseUrl + ": " + method + " " + path + " failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
