package katamari.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import katamari.dispatcher.rollout.AdminClient;
import katamari.topics.WireCodec;

/**
 * {@code --mode wrk-cache}: the response cache's hit path next to its miss path, with wrk at the same concurrency on
 * the same gateway. It copies the pool's v1 (same command, instances, prefetch) to a pool of its own,
 * {@code <pool>-cached/v1}, that caches the workload's method for 60 s, through the admin API; deletes it afterwards.
 * The hit path sends one body over and over (the first call fills the cache, every later one is a hit); the miss path
 * sends a body no call sent before (a lookup that misses, a publish, the agent's store), so it measures what a miss
 * costs, not a bypass.
 */
final class CacheBench {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final Bench.Options o;
    private final AdminClient admin;
    private final String cachedPool;

    CacheBench(Bench.Options o) {
        if (o.workload() != Bench.Workload.ECHO) {
            throw new IllegalArgumentException("wrk-cache measures the echo workload (its miss path makes a new echo text per request)");
        }
        this.o = o;
        this.admin = new AdminClient(o.admin(), System.getenv("KATAMARI_CLUSTER_ADMIN_KEY"));
        this.cachedPool = o.pool() + "-cached";
    }

    void run(Duration warm, Duration measure) throws Exception {
        String url = o.gateway() + "/pools/" + cachedPool + "/" + o.workload().method;
        create();
        try {
            awaitHit(url);
            WrkBench hits = new WrkBench(url, o.workload().body(), o.serverPid());
            WrkBench misses = WrkBench.uniqueEchoBodies(url, o.serverPid());
            String w = "c=" + o.concurrency() + " " + o.workload().name().toLowerCase();
            Bench.wrkRuns("wrk cache hit " + w, o.runs(), hits, b -> b.concurrent(o.concurrency(), warm, measure));
            Bench.wrkRuns("wrk cache miss " + w, o.runs(), misses, b -> b.concurrent(o.concurrency(), warm, measure));
            JsonNode stats = get(o.gateway() + "/stats").path("pools").path(cachedPool).path("v1").path("cache");
            System.out.println("  gateway /stats for " + cachedPool + "/v1: cache " + stats);
        } finally {
            admin.call("DELETE", "/pools/" + cachedPool, null);
        }
    }

    /** {@code <pool>-cached/v1}: the pool's v1 as the masters hold it, plus a cache of the workload's method. */
    private void create() {
        AdminClient.Reply source = admin.call("GET", "/pools/" + o.pool() + "/v1", null);
        if (!source.ok()) {
            throw new IllegalStateException("wrk-cache copies pool " + o.pool() + "/v1 through the admin API " + o.admin() + ": " + source.error());
        }
        ObjectNode def = (ObjectNode) source.body();
        def.remove("fence");
        def.remove("name");
        def.remove("version");
        def.putObject("cache").put(o.workload().method, "60s");
        AdminClient.Reply put = admin.call("PUT", "/pools/" + cachedPool + "/v1", def.toString());
        if (!put.ok()) {
            throw new IllegalStateException("cannot create pool " + cachedPool + "/v1: " + put.error());
        }
        System.out.println("  pool " + cachedPool + "/v1 created (a copy of " + o.pool() + "/v1 caching " + o.workload().method + " for 60s)");
    }

    /** Until the pool answers and its second identical call is a hit: placed, started, and caching. */
    private void awaitHit(String url) throws Exception {
        long until = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        String last = "no answer yet";
        while (System.nanoTime() < until) {
            HttpResponse<String> first = post(url);
            HttpResponse<String> second = post(url);
            if (second.statusCode() == 200 && "hit".equals(second.headers().firstValue("Katamari-Cache").orElse(null))) {
                return;
            }
            last = second.statusCode() + " Katamari-Cache: " + second.headers().firstValue("Katamari-Cache").orElse("(none)") + " " + first.body();
            Thread.sleep(200);
        }
        throw new IllegalStateException("pool " + cachedPool + "/v1 gave no cache hit within 90 s; last: " + last);
    }

    private HttpResponse<String> post(String url) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(o.workload().body())).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode get(String url) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        return WireCodec.parse(r.body());
    }
}
