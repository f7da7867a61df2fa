package katamari.it.support;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import katamari.topics.WireCodec;

/** A tiny JSON-over-HTTP client for tests. */
public final class Http {
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    public record Response(int status, JsonNode body, HttpResponse<String> raw) {
        public String errorCode() {
            return body.path("error").path("code").asText(null);
        }

        public String header(String name) {
            return raw.headers().firstValue(name).orElse(null);
        }
    }

    private Http() {}

    public static Response post(String url, String body, String... headers) {
        try {
            return postAsync(url, body, headers).get();
        } catch (Exception e) {
            throw new IllegalStateException("POST " + url + " failed", e);
        }
    }

    public static CompletableFuture<Response> postAsync(String url, String body, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60))
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i + 1 < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return CLIENT.sendAsync(b.build(), HttpResponse.BodyHandlers.ofString()).thenApply(Http::parse);
    }

    public static Response get(String url, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60)).GET();
        for (int i = 0; i + 1 < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        try {
            return parse(CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString()));
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException("GET " + url + " failed", e);
        }
    }

    /** Any method, e.g. {@code send("PATCH", url, body, "Authorization", "Bearer k")}; a null body sends none. */
    public static Response send(String method, String url, String body, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60))
                .header("content-type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i + 1 < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        try {
            return parse(CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString()));
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(method + " " + url + " failed", e);
        }
    }

    /** The body as text (for non-JSON answers such as Prometheus metrics). */
    public static String text(Response r) {
        return r.raw().body();
    }

    private static Response parse(HttpResponse<String> r) {
        String text = r.body();
        JsonNode body;
        if (text.isEmpty()) {
            body = WireCodec.mapper().createObjectNode();
        } else if (r.headers().firstValue("content-type").orElse("").startsWith("application/json")) {
            body = WireCodec.parse(text);
        } else {
            body = WireCodec.mapper().getNodeFactory().textNode(text);
        }
        return new Response(r.statusCode(), body, r);
    }
}
