package katamari.worker.supervisor;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongConsumer;
import katamari.chassis.protocol.ChassisMessage;
import katamari.chassis.protocol.ChassisMessage.Call;
import katamari.chassis.protocol.ChassisMessage.CallPool;
import katamari.chassis.protocol.ChassisMessage.Failure;
import katamari.chassis.protocol.ChassisMessage.Hello;
import katamari.chassis.protocol.ChassisMessage.Ping;
import katamari.chassis.protocol.ChassisMessage.Pong;
import katamari.chassis.protocol.ChassisMessage.Result;
import katamari.chassis.protocol.ProtocolCodec;
import katamari.config.LogKeys;
import katamari.config.PoolDefinition;
import katamari.topics.MalformedRecordException;
import katamari.worker.supervisor.Exchanges.Exchange;
import katamari.worker.supervisor.InstanceFailure.Reason;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * One running chassis process. Its exchanges in flight are a ping alone, or one call, or (for a pool that
 * pipelines) two calls: the one running and the next, written ahead so the instance starts it without waiting for
 * the agent. A chassis answers in order, so the stdout reader thread completes the oldest, and the process ending
 * fails them all. Anything off-protocol on stdout kills the process: a confused instance must not answer the next
 * request.
 */
public final class Instance implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Instance.class);

    private final String tag;
    private final Process process;
    private final OutputStream stdin;
    private final StderrLog stderr;
    private final CompletableFuture<Hello> hello = new CompletableFuture<>();
    /** Calls a pipelining slot may have written and not yet seen answered: the running one and the next. */
    public static final int MAX_CALLS_IN_FLIGHT = 2;
    private final Exchanges inFlight;
    private volatile InstanceFailure failure;
    /** The instance answered with "exit": its end is a recycle, not a crash. */
    private volatile boolean exitAnnounced;
    private final long startedNanos = System.nanoTime();

    private final NestedCallForwarder forwarder;
    private final Map<String, String> logContext;

    private Instance(String tag, Map<String, String> logContext, Process process, NestedCalls nested) {
        this.tag = tag;
        this.logContext = logContext;
        this.forwarder = new NestedCallForwarder(nested);
        this.process = process;
        this.stdin = process.getOutputStream();
        this.stderr = new StderrLog(tag);
        this.inFlight = new Exchanges(tag);
    }

    /**
     * Starts the pool's command through {@code launcher} and waits for its hello; its nested calls go through {@code nested}.
     *
     * @param started told the pid as soon as the process exists, before its hello (e.g. to guard against orphans)
     */
    public static Instance launch(ProcessLauncher launcher, PoolDefinition pool, String instanceId, Duration launchTimeout,
                                  NestedCalls nested, LongConsumer started) throws InstanceFailure {
        String tag = pool.name() + "/" + pool.version() + "/" + instanceId;
        Process process;
        try {
            process = launcher.start(pool, instanceId);
        } catch (IOException e) {
            throw new InstanceFailure(Reason.LAUNCH_FAILED, tag + ": cannot start " + pool.command() + ": " + e.getMessage(), "");
        }
        started.accept(process.pid());
        Instance instance = new Instance(tag, Map.of(LogKeys.POOL, pool.name(), LogKeys.VERSION, pool.version(),
                LogKeys.INSTANCE, instanceId), process, nested);
        instance.startReaders();
        String why;
        try {
            Hello h = instance.hello.get(launchTimeout.toMillis(), TimeUnit.MILLISECONDS);
            why = undeclaredCached(pool, h);
            if (why == null) {
                return instance;
            }
            why = tag + ": " + why;
        } catch (TimeoutException e) {
            why = tag + ": no hello within " + launchTimeout.toMillis() + " ms";
        } catch (ExecutionException e) {
            why = e.getCause().getMessage(); // already says which instance
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            instance.kill(Duration.ofSeconds(1));
            throw new InstanceFailure(Reason.KILLED, tag + ": interrupted while launching", instance.stderrTail());
        }
        instance.kill(Duration.ofSeconds(1));
        throw new InstanceFailure(Reason.LAUNCH_FAILED, why, instance.stderrTail());
    }

    /**
     * The one check of a pool's {@code cache} that needs the chassis: the methods it names must be declared in the
     * hello. An instance whose hello lacks one fails to launch (the version turns degraded), since only the hello
     * knows the methods: the config file and the admin API cannot check this.
     */
    static String undeclaredCached(PoolDefinition pool, Hello hello) {
        java.util.Set<String> missing = new java.util.TreeSet<>(pool.cache().keySet());
        missing.removeAll(hello.methods().keySet());
        return missing.isEmpty() ? null : "pool field 'cache' names method(s) " + missing + " that the chassis does not declare (it declares "
                + new java.util.TreeSet<>(hello.methods().keySet()) + ")";
    }

    private void startReaders() {
        daemon(this::readStdout, "stdout-" + tag);
        daemon(() -> stderr.drain(process.getErrorStream()), "stderr-" + tag);
    }

    /** A reader of this instance's pipes: its thread's log records name the instance (MDC, for JSON logs). */
    private void daemon(Runnable body, String name) {
        Thread t = new Thread(() -> {
            MDC.setContextMap(logContext);
            body.run();
        }, name);
        t.setDaemon(true);
        t.start();
    }

    public Hello hello() {
        return hello.join();
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return failure == null && process.isAlive() && !exitAnnounced;
    }

    /** True once the instance said it ends after its answer ("return and exit"). */
    public boolean exitAnnounced() {
        return exitAnnounced;
    }

    /** The failure that ended this instance, or null while it is usable. */
    public InstanceFailure failure() {
        return failure;
    }

    public Duration uptime() {
        return Duration.ofNanos(System.nanoTime() - startedNanos);
    }

    /** Resident set size from {@code /proc/<pid>/status}, in kB; -1 where that is unavailable. */
    public long rssKb() {
        return ProcStatus.rssKb(process.pid());
    }

    public String stderrTail() {
        return stderr.tail();
    }

    /** Sends a call; the future completes with a {@link Result} or {@link Failure}, or fails with {@link InstanceFailure}. */
    public CompletableFuture<ChassisMessage> call(Call call) {
        return exchange(call.id(), call, call.deadline());
    }

    /** Whether the instance is working on the call {@code callId} now (not merely written it ahead of another). */
    public boolean runs(String callId) {
        Exchange oldest = inFlight.oldest();
        return oldest != null && oldest.id().equals(callId);
    }

    public CompletableFuture<ChassisMessage> ping(String id) {
        return exchange(id, new Ping(id), 0);
    }

    private CompletableFuture<ChassisMessage> exchange(String id, ChassisMessage message, long deadline) {
        Exchange exchange = inFlight.add(id, deadline);
        InstanceFailure dead = failure;
        if (dead != null) {
            fail(dead);
            return exchange.answer();
        }
        write(message);
        return exchange.answer();
    }

    /** stdin is written by the slot (calls, pings) and by nested-call completions; lines must not interleave. */
    private synchronized void write(ChassisMessage message) {
        try {
            stdin.write((ProtocolCodec.encode(message) + "\n").getBytes(StandardCharsets.UTF_8));
            stdin.flush();
        } catch (IOException e) {
            died(new InstanceFailure(Reason.CRASHED, tag + ": stdin closed: " + e.getMessage(), stderrTail()));
        }
    }

    /** A {@code call_pool} from the instance: forwarded under the outer call's deadline, answered on stdin. */
    private boolean nestedCall(CallPool request) {
        Exchange outer = inFlight.oldest();
        if (outer == null || outer.isPing()) {
            return violation("sent call_pool while no call was in flight");
        }
        String refused = forwarder.forward(request, outer.id(), outer.deadline(), this::write, () -> inFlight.oldest() == outer);
        return refused == null || violation(refused);
    }

    private void readStdout() {
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                if (!accept(line)) {
                    return;
                }
            }
        } catch (IOException e) {
            // the process went away; handled below
        }
        int code = waitForExit();
        died(new InstanceFailure(Reason.CRASHED, tag + ": exited with status " + code, stderrTail()));
    }

    /** @return false once the instance has been condemned */
    private boolean accept(String line) {
        ChassisMessage message;
        try {
            message = ProtocolCodec.decode(line);
        } catch (MalformedRecordException e) {
            return violation("wrote a line that is not protocol (" + e.getMessage() + "): " + (line.length() <= 200 ? line : line.substring(0, 200) + "..."));
        }
        if (message instanceof Hello h) {
            if (h.protocol() != ChassisMessage.PROTOCOL) {
                hello.completeExceptionally(new IllegalStateException("speaks protocol " + h.protocol() + ", the agent speaks " + ChassisMessage.PROTOCOL));
                return violation("unsupported protocol " + h.protocol());
            }
            if (!hello.complete(h)) {
                return violation("said hello twice");
            }
            return true;
        }
        if (!hello.isDone()) {
            return violation("sent " + message.getClass().getSimpleName() + " before hello");
        }
        if (message instanceof CallPool request) {
            return nestedCall(request);
        }
        String id = message instanceof Result r ? r.id() : message instanceof Failure f ? f.id() : message instanceof Pong p ? p.id() : null;
        Exchange exchange = inFlight.oldest();
        if (id == null || exchange == null || !exchange.id().equals(id)) {
            return violation("answered id '" + id + "' while " + (exchange == null ? "nothing" : "'" + exchange.id() + "'") + " was in flight");
        }
        if ((message instanceof Result r && r.exit()) || (message instanceof Failure f && f.exit())) {
            exitAnnounced = true;
        }
        if (inFlight.removeOldest(exchange)) {
            exchange.answer().complete(message);
        }
        return true;
    }

    private boolean violation(String what) {
        LOG.warn("[{}] protocol violation: {}; killing it", tag, what);
        InstanceFailure f = new InstanceFailure(Reason.GARBAGE, tag + ": " + what, stderrTail());
        died(f);
        kill(Duration.ZERO);
        return false;
    }

    private synchronized void died(InstanceFailure f) {
        if (failure == null) {
            failure = f;
        }
        hello.completeExceptionally(new IllegalStateException(f.getMessage()));
        fail(failure);
    }

    /** Fails every exchange in flight; the oldest was running unless the instance had announced its exit. */
    private void fail(InstanceFailure f) {
        inFlight.failAll(f, !exitAnnounced);
    }

    private int waitForExit() {
        try {
            return process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** SIGTERM, up to {@code grace} to exit, then SIGKILL; blocks until the process is gone. */
    public void kill(Duration grace) {
        kill(grace, Reason.KILLED, "killed by the agent");
    }

    /**
     * Condemns the instance for {@code reason}: the exchange in flight fails at once with it (so its record can be
     * released without waiting), then SIGTERM, up to {@code grace}, SIGKILL. Blocks until the process is gone.
     */
    public void kill(Duration grace, Reason reason, String why) {
        died(new InstanceFailure(reason, tag + ": " + why, stderrTail()));
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!grace.isZero() && process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                return;
            }
            process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    /** Graceful stop: close stdin (a chassis ends at EOF), then the kill sequence if it lingers. */
    @Override
    public void close() {
        try {
            stdin.close();
            if (process.waitFor(2, TimeUnit.SECONDS)) {
                return;
            }
        } catch (IOException e) {
            // already closed
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        kill(Duration.ofSeconds(2));
    }
}
