package katamari.dispatcher.admin;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.http.staticfiles.Location;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import katamari.cluster.MetadataJson;
import katamari.cluster.PoolVersion;
import katamari.config.ClusterSettings;
import katamari.dispatcher.NotLeaderException;
import katamari.dispatcher.deadletters.DeadLetterTail;
import katamari.topics.Names;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The dispatchers' admin API (a pool definition makes workers run a command, so this is the most sensitive port
 * Katamari has): {@code GET /cluster}, {@code GET /pools[/{pool}[/{version}]]}, {@code PUT /pools/{pool}/{version}},
 * {@code PATCH /pools/{pool}} (routing weights), {@code DELETE /pools/{pool}[/{version}]}, {@code GET /metrics}
 * (Prometheus), {@code GET /cluster/history} (the console's charts), {@code GET /dead-letters},
 * {@code POST|GET /rollouts} (a rollout run by this dispatcher, and what it said), and the web console
 * itself at {@code /} (static files from the classpath folder {@code console/}). Every route but {@code /healthz} and
 * the console's files needs the admin key, as {@code Authorization: Bearer <key>} or {@code Katamari-Admin-Key: <key>}:
 * the page holds no data, it asks for the key and then reads the routes above like any client. Any dispatcher
 * answers reads from its own copy; a standby forwards writes to the master.
 */
public final class AdminApi implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AdminApi.class);
    static final String KEY_HEADER = "Katamari-Admin-Key";
    static final String FORWARDED_HEADER = "Katamari-Forwarded-By";
    static final String MASTER_HEADER = "Katamari-Master";
    /** The console's files (classpath {@code console/}), served to anyone: they hold no data and change nothing. */
    static final java.util.Set<String> CONSOLE_FILES = java.util.Set.of("/", "/index.html", "/console.js", "/console.css");

    private final ClusterSettings settings;
    private final AdminBackend backend;
    private final HttpClient forwarder = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final AdminMetrics metrics;
    private final TrafficHistory history;
    private final Rollouts rollouts;
    private final AdminAccess access;
    private Javalin http;

    public AdminApi(ClusterSettings settings, AdminBackend backend) {
        this.settings = settings;
        this.backend = backend;
        this.metrics = new AdminMetrics(settings.self());
        this.history = new TrafficHistory(backend::clusterView);
        this.rollouts = new Rollouts(backend::selfAdminUrl, settings.adminKey());
        this.access = new AdminAccess(settings.adminKey(), settings.adminHost());
    }

    /** @throws IllegalStateException when there is no admin key and the API is not explicitly open */
    public AdminApi start() {
        if (settings.adminKey() == null && !settings.adminOpen()) {
            throw new IllegalStateException("the admin API needs a key: set cluster.adminKey (or KATAMARI_CLUSTER_ADMIN_KEY); "
                    + "cluster.adminOpen: true serves it without one, for a private one-box setup only");
        }
        if (settings.adminKey() == null) {
            LOG.warn("!!! the admin API on {}:{} is OPEN: anyone who reaches it can make workers run commands. Dev only. !!!",
                    settings.adminHost(), settings.adminPort());
        }
        http = Javalin.create(c -> {
            c.startup.showJavalinBanner = false;
            c.staticFiles.add(files -> {
                files.hostedPath = "/";
                files.directory = "/console";
                files.location = Location.CLASSPATH;
                // no-cache: a new dispatcher version's page is seen at once; the policy lets the page load nothing from
                // elsewhere and run no inline script, and no other site may frame it (its buttons change the cluster)
                files.headers = Map.of("Cache-Control", "no-cache", "X-Content-Type-Options", "nosniff",
                        "Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'");
            });
            register(c);
        }).start(settings.adminHost(), settings.adminPort());
        history.start();
        return this;
    }

    public int port() {
        return http.port();
    }

    private void register(JavalinConfig c) {
        c.routes.get("/healthz", ctx -> ctx.json(Map.of("status", "ok")));
        c.routes.before(access::authorize);
        c.routes.get("/cluster", ctx -> json(ctx, 200, backend.clusterView()));
        c.routes.get("/cluster/history", ctx -> json(ctx, 200, history.render()));
        c.routes.get("/dead-letters", ctx -> json(ctx, 200, Map.of("deadLetters", backend.deadLetters(limit(ctx)))));
        c.routes.post("/rollouts", ctx -> json(ctx, 202, rollouts.start(Rollouts.parse(ctx.body()))));
        c.routes.get("/rollouts", ctx -> json(ctx, 200, Map.of("rollouts", rollouts.list())));
        c.routes.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(metrics.scrape(backend.clusterView())));
        c.routes.get("/pools", ctx -> json(ctx, 200, Map.of("pools", grouped(backend.pools()))));
        c.routes.get("/pools/{pool}", ctx -> json(ctx, 200, pool(ctx.pathParam("pool"))));
        c.routes.get("/pools/{pool}/{version}", ctx -> json(ctx, 200, view(version(ctx.pathParam("pool"), ctx.pathParam("version")))));
        c.routes.put("/pools/{pool}/{version}", this::put);
        c.routes.patch("/pools/{pool}", this::weights);
        c.routes.delete("/pools/{pool}/{version}", ctx -> delete(ctx, ctx.pathParam("version")));
        c.routes.delete("/pools/{pool}", ctx -> delete(ctx, null));
        c.routes.post("/workers/{worker}/drain", ctx -> drain(ctx, true));
        c.routes.delete("/workers/{worker}/drain", ctx -> drain(ctx, false));
        c.routes.exception(AdminException.class, (e, ctx) -> error(ctx, e.status(), e.code(), e.getMessage()));
        c.routes.exception(NotLeaderException.class, (e, ctx) -> {
            ctx.header("Retry-After", "1");
            error(ctx, 503, "not_leader", "the master changed during the call; retry: " + e.getMessage());
        });
        c.routes.exception(Exception.class, (e, ctx) -> {
            LOG.warn("admin {} {} failed", ctx.method(), ctx.path(), e);
            error(ctx, 503, "unavailable", e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
        });
    }

    /** {@code ?limit=N} of {@code GET /dead-letters}: 1 to {@value DeadLetterTail#MAX_LIMIT}, default 20. */
    private static int limit(Context ctx) {
        String given = ctx.queryParam("limit");
        if (given == null) {
            return 20;
        }
        try {
            int n = Integer.parseInt(given);
            if (n >= 1 && n <= DeadLetterTail.MAX_LIMIT) {
                return n;
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw new AdminException(400, "bad_request", "limit must be a whole number 1-" + DeadLetterTail.MAX_LIMIT + ", was '" + given + "'");
    }

    private void put(Context ctx) throws IOException, InterruptedException {
        String pool = ctx.pathParam("pool");
        String version = ctx.pathParam("version");
        validNames(pool, version);
        PoolVersion requested = PoolInput.parse(pool, version, ctx.body());
        if (!backend.isLeader()) {
            forward(ctx);
            return;
        }
        boolean existed = backend.pools().stream().anyMatch(p -> p.key().equals(requested.key()));
        json(ctx, existed ? 200 : 201, view(backend.upsert(requested)));
    }

    /**
     * {@code POST /workers/{id}/drain}: the master places nothing more on the worker, which finishes what it holds
     * and stops its instances; {@code DELETE} gives it work again.
     */
    private void drain(Context ctx, boolean draining) throws IOException, InterruptedException {
        String worker = ctx.pathParam("worker");
        if (!katamari.topics.Names.isValid(worker)) {
            throw new AdminException(400, "bad_request", "'" + worker + "' is not a worker id");
        }
        if (!backend.isLeader()) {
            forward(ctx);
            return;
        }
        var d = backend.drain(worker, draining);
        json(ctx, 200, Map.of("worker", d.worker(), "draining", d.draining()));
    }

    /** {@code PATCH /pools/{pool}} with {@code {"weights": {"v1": 90, "v2": 10}}}: versions not named keep their weight. */
    private void weights(Context ctx) throws IOException, InterruptedException {
        String pool = ctx.pathParam("pool");
        validNames(pool, null);
        Map<String, Integer> weights = PoolInput.weights(ctx.body());
        List<String> missing = weights.keySet().stream()
                .filter(v -> backend.pools().stream().noneMatch(p -> p.key().equals(pool + "/" + v))).sorted().toList();
        if (!missing.isEmpty()) {
            throw new AdminException(404, "pool_not_found", "pool '" + pool + "' has no version(s) " + missing);
        }
        if (!backend.isLeader()) {
            forward(ctx);
            return;
        }
        List<PoolVersion> after;
        try {
            after = backend.setWeights(pool, weights);
        } catch (IllegalArgumentException e) {
            throw new AdminException(404, "pool_not_found", e.getMessage());
        }
        json(ctx, 200, Map.of("name", pool, "versions", after.stream().sorted((a, b) -> a.key().compareTo(b.key())).map(AdminApi::view).toList()));
    }

    private void delete(Context ctx, String version) throws IOException, InterruptedException {
        String pool = ctx.pathParam("pool");
        validNames(pool, version);
        if (!backend.isLeader()) {
            forward(ctx);
            return;
        }
        List<String> gone = backend.delete(pool, version);
        if (gone.isEmpty()) {
            throw notFound(pool, version);
        }
        json(ctx, 200, Map.of("deleted", gone));
    }

    /** A standby passes a write on to the master, once: a forwarded call that meets another standby is refused. */
    private void forward(Context ctx) throws IOException, InterruptedException {
        String leader = backend.leaderAdminUrl();
        if (leader == null || ctx.header(FORWARDED_HEADER) != null) {
            ctx.header("Retry-After", "1");
            throw new AdminException(503, "not_leader", leader == null ? "no master right now (an election is under way); retry"
                    : "this dispatcher is not the master either; retry");
        }
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(leader + ctx.path()))
                .timeout(Duration.ofSeconds(20))
                .header(FORWARDED_HEADER, backend.selfAdminUrl())
                .header("content-type", "application/json")
                .method(ctx.method().name(), HttpRequest.BodyPublishers.ofByteArray(ctx.bodyAsBytes()));
        if (settings.adminKey() != null) {
            b.header(KEY_HEADER, settings.adminKey());
        }
        HttpResponse<String> r;
        try {
            r = forwarder.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            ctx.header("Retry-After", "1");
            throw new AdminException(503, "not_leader", "the master at " + leader + " is unreachable (" + e.getMessage() + "); retry");
        }
        ctx.status(r.statusCode()).header(MASTER_HEADER, leader).contentType("application/json").result(r.body());
    }

    private Map<String, Object> pool(String name) {
        List<ObjectNode> versions = backend.pools().stream().filter(p -> p.definition().name().equals(name)).sorted((a, b) -> a.key().compareTo(b.key())).map(AdminApi::view).toList();
        if (versions.isEmpty()) {
            throw notFound(name, null);
        }
        return Map.of("name", name, "versions", versions);
    }

    private PoolVersion version(String pool, String version) {
        return backend.pools().stream().filter(p -> p.key().equals(pool + "/" + version)).findFirst()
                .orElseThrow(() -> notFound(pool, version));
    }

    static List<Map<String, Object>> grouped(List<PoolVersion> pools) {
        Map<String, List<Object>> byName = new LinkedHashMap<>();
        pools.stream().sorted((a, b) -> a.key().compareTo(b.key()))
                .forEach(p -> byName.computeIfAbsent(p.definition().name(), k -> new ArrayList<>()).add(view(p)));
        List<Map<String, Object>> out = new ArrayList<>();
        byName.forEach((name, versions) -> out.add(Map.of("name", name, "versions", versions)));
        return out;
    }

    /** A pool-version as clients see it: the definition's fields plus weight and fence. */
    static ObjectNode view(PoolVersion p) {
        ObjectNode n = MetadataJson.mapper().valueToTree(p.definition());
        n.put("weight", p.weight());
        n.put("fence", p.fence());
        return n;
    }

    private static void validNames(String pool, String version) {
        try {
            Names.requireValid("pool", pool);
            if (version != null) {
                Names.requireValid("version", version);
            }
        } catch (IllegalArgumentException e) {
            throw PoolInput.bad(e.getMessage());
        }
    }

    private static AdminException notFound(String pool, String version) {
        return new AdminException(404, "pool_not_found", version == null ? "no pool named '" + pool + "'"
                : "pool '" + pool + "' has no version '" + version + "'");
    }

    private static void json(Context ctx, int status, Object body) {
        ctx.status(status).contentType("application/json").result(MetadataJson.encode(body));
    }

    private static void error(Context ctx, int status, String code, String message) {
        json(ctx, status, Map.of("error", Map.of("code", code, "message", message == null ? "" : message)));
    }

    @Override
    public void close() {
        rollouts.close();
        history.close();
        if (http != null) {
            http.stop();
        }
    }
}
