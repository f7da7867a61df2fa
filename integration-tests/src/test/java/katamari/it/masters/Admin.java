package katamari.it.masters;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import katamari.topics.WireCodec;

/** A dispatcher admin API client for tests. */
final class Admin {
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    record Reply(int status, JsonNode body) {
        String code() {
            return body.path("error").path("code").asText(null);
        }

        String message() {
            return body.path("error").path("message").asText("");
        }
    }

    private Admin() {}

    static Reply call(String method, String url, String key, String body) {
        return call(method, url, key, body, Duration.ofSeconds(30));
    }

    static Reply call(String method, String url, String key, String body, Duration timeout) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(timeout)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .header("content-type", "application/json");
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        try {
            HttpResponse<String> r = CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
            return new Reply(r.statusCode(), r.body().isEmpty() ? WireCodec.mapper().createObjectNode() : WireCodec.parse(r.body()));
        } catch (IOException e) {
            throw new IllegalStateException(method + " " + url + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** GET /cluster, or null if the dispatcher does not answer. */
    static JsonNode cluster(String adminUrl, String key) {
        try {
            Reply r = call("GET", adminUrl + "/cluster", key, null, Duration.ofSeconds(2));
            return r.status() == 200 ? r.body() : null;
        } catch (IllegalStateException e) {
            return null;
        }
    }
}
