package katamari.client;

import java.util.Properties;
import org.apache.kafka.clients.producer.ProducerConfig;

/**
 * The producer settings of Katamari's request/reply path, shared by the gateway's requests, the agents' replies
 * and the bench clients (so the raw floors use exactly what Katamari uses).
 */
public final class RequestPathProducer {
    private RequestPathProducer() {
    }

    /**
     * Adds to {@code p}: acks=all with idempotence (a reply or request acknowledged is one the broker keeps, once),
     * linger 0 (a lone request leaves at once), and one request in flight per connection. The last one batches under
     * load without costing a lone request anything: records sent while a produce request is out wait for its
     * answer and then leave together. At concurrency 32 that measured +10 % requests/s (docs/benchmarks.md).
     */
    public static Properties settings(Properties p) {
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "0");
        p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "1");
        // One fixed backoff for metadata refreshes and retries, not Kafka's default exponential one (100 ms up to 1 s,
        // 20 % jitter). The client draws that jitter anew each time it asks whether a refresh is due, and its I/O
        // thread asks twice per pass: "due" (the broker is not ready, so nothing is sent), then "not yet" (so no
        // refresh is sent either), and it sleeps until the window closes. While refreshes repeated, once a second,
        // every record waited up to 200 ms: echo at concurrency 32 fell from ~11,000 to ~9,200 requests/s with
        // p99.9 ~185 ms (docs/benchmarks.md, fifth measurement). Without jitter both answers agree.
        p.put(ProducerConfig.RETRY_BACKOFF_MS_CONFIG, String.valueOf(BACKOFF_MS));
        p.put(ProducerConfig.RETRY_BACKOFF_MAX_MS_CONFIG, String.valueOf(BACKOFF_MS));
        return p;
    }

    /** Kafka's default initial backoff, kept for every attempt. */
    static final long BACKOFF_MS = 100;
}
