package katamari.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** Sequential requests over one keep-alive HTTP connection: the latency a single client sees. */
final class HttpSequential {
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    Latencies run(String url, String body, int warmup, int count) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(url)).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        for (int i = 0; i < warmup; i++) {
            send(request);
        }
        Latencies l = new Latencies(count);
        for (int i = 0; i < count; i++) {
            long t0 = System.nanoTime();
            send(request);
            l.add(System.nanoTime() - t0);
        }
        return l;
    }

    private void send(HttpRequest request) throws Exception {
        HttpResponse<String> r = client.send(request, HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IllegalStateException("benchmark request failed: " + r.statusCode() + " " + r.body());
        }
    }
}
