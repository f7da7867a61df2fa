package katamari.localcluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import katamari.config.ConfigLoader;
import katamari.config.KatamariConfig;
import katamari.config.PoolDefinition;
import katamari.dispatcher.rollout.AdminClient;

/**
 * A replicated Katamari on this machine, every role its own JVM ({@code java ... -jar katamari.jar <role>}) on
 * 127.0.0.1: KRaft brokers, dispatchers (the master list), workers with stable ids, and gateways. It is what
 * {@code bin/katamari cluster} runs and what fault tests drive: each role can be killed, terminated, frozen, thawed
 * and restarted by name, and {@code roles.json} in the cluster's folder tells scripts its pids and ports.
 *
 * <p>Lifecycle: {@link #start} once, then {@link #close} (idempotent) stops every role and the chassis they started.
 * If the JVM that owns it is itself killed with SIGKILL the roles keep running; {@code roles.json} has their pids.
 */
public final class LocalCluster implements AutoCloseable {
    /** What bin/katamari gives every role so Hazelcast can use its fast paths; keep the two in step. */
    static final List<String> HAZELCAST_OPTIONS = List.of("--add-modules", "java.se",
            "--add-exports", "java.base/jdk.internal.ref=ALL-UNNAMED", "--add-opens", "java.base/java.lang=ALL-UNNAMED",
            "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED", "--add-opens", "java.management/sun.management=ALL-UNNAMED",
            "--add-opens", "jdk.management/com.sun.management.internal=ALL-UNNAMED");
    /** bin/katamari's worker options: a small serial heap and C1 only (docs/configuration.md, JVM options). */
    static final List<String> WORKER_OPTIONS = List.of("-XX:+UseSerialGC", "-Xms16m", "-Xmx256m", "-XX:TieredStopAtLevel=1");
    /** Ten JVMs share this machine: a small serial-collected heap each (Kafka and the gateway keep C2). */
    static final List<String> ROLE_OPTIONS = List.of("-XX:+UseSerialGC", "-Xmx256m");
    /** A dispatcher's work is small and its start is CPU-bound among nine other JVMs: C1 only, as for workers. */
    static final List<String> DISPATCHER_OPTIONS = List.of("-XX:+UseSerialGC", "-Xmx256m", "-XX:TieredStopAtLevel=1");
    private static final Path SETSID = Path.of("/usr/bin/setsid");
    private static final Duration START_TIMEOUT = Duration.ofSeconds(120);
    private static final Duration STOP_GRACE = Duration.ofSeconds(15);

    private enum State { NEW, STARTED, CLOSED }

    private final AtomicReference<State> state = new AtomicReference<>(State.NEW);
    private final ClusterLayout layout;
    private final Map<String, RoleProcess> roles = new LinkedHashMap<>();
    private final String adminKey;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private volatile Consumer<String> progress = line -> { };
    /** What every worker is started with, kept for {@link #addWorker}. */
    private List<String> workerArgs;
    private Map<String, String> workerEnv;
    /** Waits for ready lines; daemons, so an abandoned wait never keeps a JVM alive. */
    private final java.util.concurrent.Executor daemonThreads = task -> {
        Thread t = new Thread(task, "local-cluster-start");
        t.setDaemon(true);
        t.start();
    };

    public LocalCluster(ClusterLayout layout) {
        this.layout = layout;
        this.adminKey = adminKey(layout.dir());
        defineRoles();
    }

    /**
     * Starts every role and returns once every gateway is ready and the pools' instances are up (or, if some pool's
     * instances do not come up, with a warning through {@code progress}).
     *
     * @param progress told each step as it happens, and afterwards of any role that exits on its own
     * @throws IllegalStateException if a port is taken or a role does not start; whatever started is stopped again
     */
    public LocalCluster start(Consumer<String> progress) {
        if (!state.compareAndSet(State.NEW, State.STARTED)) {
            throw new IllegalStateException("a local cluster cannot be started more than once (state " + state.get() + ")");
        }
        this.progress = progress;
        long t0 = System.nanoTime();
        try {
            checkPortsFree();
            step(t0, "starting " + layout.brokers() + " Kafka brokers (KRaft), " + layout.dispatchers() + " dispatchers, " + layout.workers()
                    + " workers and " + layout.gateways() + " gateways; logs in " + layout.dir().resolve("logs"));
            // all at once: workers and gateways wait for Kafka (their reply topics) and join the masters as clients
            // whenever those are up, so their JVM start overlaps the brokers' quorum and the CP group's forming
            CompletableFuture.allOf(startAll(t0, RoleKind.BROKER), startAll(t0, RoleKind.DISPATCHER), startAll(t0, RoleKind.WORKER),
                    startAll(t0, RoleKind.GATEWAY)).join();
            awaitServing(t0);
            return this;
        } catch (CompletionException e) {
            close();
            throw e.getCause() instanceof RuntimeException r ? r : e;
        } catch (RuntimeException e) {
            close();
            throw e;
        } finally {
            writeRolesFile();
        }
    }

    /** Every role, in start order. */
    public List<Role> roles() {
        return roles.values().stream().map(RoleProcess::snapshot).toList();
    }

    public List<Role> roles(RoleKind kind) {
        return roles.values().stream().filter(r -> r.kind() == kind).map(RoleProcess::snapshot).toList();
    }

    public Role role(String name) {
        return process(name).snapshot();
    }

    /** SIGKILL: no shutdown hook runs; a worker's chassis are left to its orphan guard. */
    public void kill9(String name) {
        process(name).kill9();
        writeRolesFile();
    }

    /** SIGTERM, waiting for the role to stop cleanly (SIGKILL after 15 s). */
    public void terminate(String name) {
        process(name).terminate(STOP_GRACE);
        writeRolesFile();
    }

    /** SIGSTOP: the role freezes with its sockets open, as a long GC pause or a hung box. */
    public void pause(String name) {
        process(name).signal("STOP");
    }

    /** SIGCONT after {@link #pause}. */
    public void resume(String name) {
        process(name).signal("CONT");
    }

    /** Starts a stopped role again with the same command line (same ports, data dir, worker id) and waits for it. */
    public void restart(String name) {
        RoleProcess r = process(name);
        if (r.alive()) {
            r.terminate(STOP_GRACE);
        }
        r.start();
        writeRolesFile();
        r.awaitReady(START_TIMEOUT);
    }

    /**
     * Starts one more worker agent than there are, {@code worker-(n+1)} with the next metrics port of the block, and
     * returns its name once it has joined the masters (its ready line): scale-out at run time. Like the others it
     * is stopped by {@link #close} and can be killed or restarted by name. Call it from the thread that owns the
     * cluster, as {@link #restart}.
     *
     * @throws IllegalStateException if the cluster is not started, already has 10 workers, or the new one's port is taken
     */
    public String addWorker() {
        if (state.get() != State.STARTED) {
            throw new IllegalStateException("a worker can be added only to a started cluster (state " + state.get() + ")");
        }
        int n = (int) roles.values().stream().filter(r -> r.kind() == RoleKind.WORKER).count();
        if (n >= 10) {
            throw new IllegalStateException("a local cluster has ports for 10 workers, and runs " + n);
        }
        int port = layout.metricsPort(n);
        try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getByName("127.0.0.1"))) {
            s.setReuseAddress(true);
        } catch (IOException e) {
            throw new IllegalStateException("port " + port + " on 127.0.0.1 (worker-" + (n + 1) + "'s metrics) is taken", e);
        }
        RoleProcess worker = defineWorker(n);
        worker.start();
        writeRolesFile();
        worker.awaitReady(START_TIMEOUT);
        progress.accept(worker.name() + " added and ready (pid " + worker.snapshot().pid() + ", " + worker.snapshot().ports() + ")");
        return worker.name();
    }

    /** {@code bootstrap.servers} naming every broker. */
    public String bootstrap() {
        return IntStream.range(0, layout.brokers()).mapToObj(i -> "127.0.0.1:" + layout.brokerPort(i)).collect(Collectors.joining(","));
    }

    /** The broker role with Kafka node id {@code nodeId}. */
    public String brokerName(int nodeId) {
        return "broker-" + nodeId;
    }

    public List<String> gatewayUrls() {
        return IntStream.range(0, layout.gateways()).mapToObj(i -> "http://127.0.0.1:" + layout.gatewayPort(i)).toList();
    }

    /** The dispatchers' admin APIs, in master-list order. */
    public List<String> adminUrls() {
        return IntStream.range(0, layout.dispatchers()).mapToObj(i -> "http://127.0.0.1:" + layout.adminPort(i)).toList();
    }

    /** The key the admin APIs want (header {@code Katamari-Admin-Key}); kept in {@code <dir>/admin-key}. */
    public String adminKey() {
        return adminKey;
    }

    /** The cluster's name (Hazelcast's, and the metadata journal's): one per port block, so two local clusters never merge. */
    public String clusterName() {
        return "katamari-local-" + layout.basePort();
    }

    public Path rolesFile() {
        return layout.dir().resolve("roles.json");
    }

    public ClusterLayout layout() {
        return layout;
    }

    /** Stops gateways and workers, then dispatchers, then brokers (SIGTERM, SIGKILL after 15 s), and their chassis. */
    @Override
    public void close() {
        if (state.getAndSet(State.CLOSED) == State.CLOSED) {
            return;
        }
        // front to back, so nothing reports a missing broker or master while it stops
        for (List<RoleKind> tier : List.of(List.of(RoleKind.GATEWAY, RoleKind.WORKER), List.of(RoleKind.DISPATCHER), List.of(RoleKind.BROKER))) {
            List<RoleProcess> stopping = roles.values().stream().filter(r -> tier.contains(r.kind())).toList();
            stopping.forEach(RoleProcess::beginStop);
            stopping.forEach(r -> r.finishStop(STOP_GRACE));
        }
        writeRolesFile();
    }

    private void defineRoles() {
        Path config = layout.config().toAbsolutePath();
        String members = IntStream.range(0, layout.dispatchers()).mapToObj(i -> "127.0.0.1:" + layout.memberPort(i)).collect(Collectors.joining(","));
        String voters = IntStream.range(0, layout.brokers()).mapToObj(i -> (i + 1) + "@" + layout.controllerPort(i)).collect(Collectors.joining(","));
        Map<String, String> env = new LinkedHashMap<>();
        env.put("KATAMARI_HOME", layout.home().toAbsolutePath().toString());
        env.put("KATAMARI_CLUSTER_ADMIN_KEY", adminKey);
        // one name per cluster folder and port block: two local clusters never merge
        env.put("KATAMARI_CLUSTER_NAME", clusterName());
        if (layout.brokers() < 3) {
            // the file's RF 3 / min ISR 2 cannot be met by fewer brokers: as the brokers' own defaults do, take what there is
            env.put("KATAMARI_KAFKA_REPLICATION_FACTOR", String.valueOf(layout.brokers()));
            env.put("KATAMARI_KAFKA_MIN_INSYNC_REPLICAS", String.valueOf(layout.brokers()));
        }
        // 3 CP members whenever there are 3 dispatchers or more (the others are plain members and may lead too):
        // the file is validated before --members replaces its list of 3, so a larger CP group could not load
        env.put("KATAMARI_CLUSTER_CP_MEMBER_COUNT", String.valueOf(layout.dispatchers() >= 3 ? 3 : 0));
        List<String> shared = List.of("--config", config.toString(), "--members", members, "--kafka", bootstrap());
        for (int i = 0; i < layout.brokers(); i++) {
            List<String> args = new ArrayList<>(List.of("broker", "--node-id", String.valueOf(i + 1), "--port", String.valueOf(layout.brokerPort(i)),
                    "--voters", voters, "--data-dir", layout.dir().resolve("kafka").resolve("broker-" + (i + 1)).toAbsolutePath().toString()));
            layout.brokerOverrides().forEach((k, v) -> args.addAll(List.of("--override", k + "=" + v)));
            add("broker-" + (i + 1), RoleKind.BROKER, Map.of("broker", layout.brokerPort(i), "controller", layout.controllerPort(i)),
                    args, env, " ready on ");
        }
        for (int i = 0; i < layout.dispatchers(); i++) {
            add("dispatcher-" + (i + 1), RoleKind.DISPATCHER, Map.of("member", layout.memberPort(i), "admin", layout.adminPort(i)),
                    concat(List.of("dispatcher", "--host", "127.0.0.1", "--member-port", String.valueOf(layout.memberPort(i)),
                            "--admin-port", String.valueOf(layout.adminPort(i))), shared), env, ") admin API ");
        }
        workerArgs = shared;
        workerEnv = Map.copyOf(env);
        for (int i = 0; i < layout.workers(); i++) {
            defineWorker(i);
        }
        for (int i = 0; i < layout.gateways(); i++) {
            Map<String, String> gatewayEnv = new LinkedHashMap<>(env);
            // a stable id keeps its reply topic across restarts; open: a local cluster on 127.0.0.1, said at start
            gatewayEnv.put("KATAMARI_GATEWAY_ID", "gateway-" + (i + 1));
            gatewayEnv.put("KATAMARI_GATEWAY_OPEN", "true");
            add("gateway-" + (i + 1), RoleKind.GATEWAY, Map.of("http", layout.gatewayPort(i)),
                    concat(List.of("gateway", "--port", String.valueOf(layout.gatewayPort(i))), shared), gatewayEnv, "gateway ready on ");
        }
    }

    /** Worker {@code worker-(i+1)}, metrics on its port of the block. */
    private RoleProcess defineWorker(int i) {
        String name = "worker-" + (i + 1);
        add(name, RoleKind.WORKER, Map.of("metrics", layout.metricsPort(i)),
                concat(List.of("worker", "--worker-id", name, "--metrics-port", String.valueOf(layout.metricsPort(i))), workerArgs),
                workerEnv, " joined ");
        return roles.get(name);
    }

    private void add(String name, RoleKind kind, Map<String, Integer> ports, List<String> args, Map<String, String> env, String readyLine) {
        List<String> command = new ArrayList<>();
        if (Files.isExecutable(SETSID)) {
            // a session of its own: a terminal's Ctrl-C reaches this process alone, which then stops the roles front
            // to back, instead of every role at once (setsid execs in place, so the pid stays the JVM's)
            command.add(SETSID.toString());
        }
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(HAZELCAST_OPTIONS);
        command.addAll(switch (kind) {
            case WORKER -> WORKER_OPTIONS;
            case DISPATCHER -> DISPATCHER_OPTIONS;
            default -> ROLE_OPTIONS;
        });
        command.addAll(layout.javaOptions());
        command.addAll(List.of("-jar", layout.jar().toAbsolutePath().toString()));
        command.addAll(args);
        Path log = layout.dir().resolve("logs").resolve(name + ".log");
        roles.put(name, new RoleProcess(name, kind, ports, command, env, log, readyLine, line -> progress.accept(line)));
    }

    /** Starts every role of {@code kind}; completes when all are ready (in parallel: brokers answer once a majority runs). */
    private CompletableFuture<Void> startAll(long t0, RoleKind kind) {
        List<RoleProcess> starting = roles.values().stream().filter(r -> r.kind() == kind).toList();
        starting.forEach(RoleProcess::start);
        writeRolesFile();
        return CompletableFuture.allOf(starting.stream().map(r -> CompletableFuture.runAsync(() -> {
            r.awaitReady(START_TIMEOUT);
            step(t0, r.name() + " ready (pid " + r.snapshot().pid() + ", " + r.snapshot().ports() + ")");
        }, daemonThreads)).toArray(CompletableFuture[]::new));
    }

    /** Every gateway ready, and every configured instance idle somewhere as the masters see it. */
    private void awaitServing(long t0) {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        for (String g : gatewayUrls()) {
            while (status(g + "/readyz") != 200) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(g + "/readyz did not answer 200 within " + START_TIMEOUT.toSeconds() + " s");
                }
                sleep(100);
            }
        }
        if (layout.workers() == 0 || layout.dispatchers() == 0) {
            return;
        }
        KatamariConfig config = new ConfigLoader(Map.of("KATAMARI_HOME", layout.home().toString())).read(layout.config());
        // a pool may want more than the workers can run (the rest waits for workers to be added): wait for what fits
        int room = layout.workers() * config.cluster().workerCapacity();
        Map<String, Integer> wanted = config.pools().stream().collect(Collectors.toMap(p -> p.name() + "/" + p.version(),
                p -> Math.min(p.instances(), room)));
        step(t0, "waiting for the pools' instances: " + wanted);
        long poolsDeadline = System.nanoTime() + config.worker().launchTimeout().plusSeconds(20).toNanos();
        Map<String, Integer> missing = wanted;
        while (!(missing = missingInstances(wanted)).isEmpty()) {
            if (System.nanoTime() > poolsDeadline) {
                step(t0, "WARNING: instances not up yet " + missing + " (missing, by pool); see " + layout.dir().resolve("logs"));
                return;
            }
            sleep(200);
        }
    }

    private Map<String, Integer> missingInstances(Map<String, Integer> wanted) {
        JsonNode c = clusterView();
        Map<String, Integer> missing = new LinkedHashMap<>();
        wanted.forEach((key, n) -> {
            String[] nv = key.split("/");
            int available = 0;
            if (c != null) {
                for (JsonNode v : c.path("pools").path(nv[0])) {
                    if (v.path("version").asText().equals(nv[1])) {
                        available = v.path("available").asInt();
                    }
                }
            }
            if (available < n) {
                missing.put(key, n - available);
            }
        });
        return missing;
    }

    /** {@code GET /cluster} from the first dispatcher that answers, or null. */
    public JsonNode clusterView() {
        for (String admin : adminUrls()) {
            JsonNode view = new AdminClient(admin, adminKey).clusterView();
            if (view != null) {
                return view;
            }
        }
        return null;
    }

    private int status(String url) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding())
                    .statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private void checkPortsFree() {
        List<Integer> taken = new ArrayList<>();
        for (Role r : roles()) {
            for (int port : r.ports().values()) {
                try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getByName("127.0.0.1"))) {
                    s.setReuseAddress(true);
                } catch (IOException e) {
                    taken.add(port);
                }
            }
        }
        if (!taken.isEmpty()) {
            throw new IllegalStateException("ports " + taken + " on 127.0.0.1 are taken (another cluster?); choose another base port");
        }
    }

    private synchronized void writeRolesFile() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("bootstrap", bootstrap());
        out.put("gateways", gatewayUrls());
        out.put("admin", adminUrls());
        List<Map<String, Object>> list = new ArrayList<>();
        for (Role r : roles()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", r.name());
            m.put("kind", r.kind().command());
            m.put("pid", r.pid());
            m.put("alive", r.alive());
            m.put("ports", new java.util.TreeMap<>(r.ports()));
            m.put("log", layout.dir().relativize(r.log()).toString());
            list.add(m);
        }
        out.put("roles", list);
        try {
            Files.createDirectories(layout.dir());
            Path tmp = layout.dir().resolve("roles.json.tmp");
            json.writeValue(tmp.toFile(), out);
            Files.move(tmp, rolesFile(), java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + rolesFile(), e);
        }
    }

    private RoleProcess process(String name) {
        RoleProcess r = roles.get(name);
        if (r == null) {
            throw new IllegalArgumentException("no role " + name + "; roles: " + roles.keySet());
        }
        return r;
    }

    /** The admin key of this cluster folder, created on first use so that restarts of the folder keep it. */
    private static String adminKey(Path dir) {
        Path file = dir.resolve("admin-key");
        try {
            if (Files.exists(file)) {
                return Files.readString(file).trim();
            }
            Files.createDirectories(dir);
            byte[] bytes = new byte[16];
            new SecureRandom().nextBytes(bytes);
            String key = HexFormat.of().formatHex(bytes);
            Files.writeString(file, key + "\n");
            try {
                Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
            } catch (UnsupportedOperationException notPosix) {
                // the folder's own permissions are all there is
            }
            return key;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot keep the admin key in " + file, e);
        }
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    private void step(long t0, String what) {
        progress.accept(String.format("[%5.1f s] %s", (System.nanoTime() - t0) / 1e9, what));
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms); // polling HTTP readiness: there is nothing to block on
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
