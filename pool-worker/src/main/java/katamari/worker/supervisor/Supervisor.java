package katamari.worker.supervisor;

import java.time.Duration;
import java.time.InstantSource;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import katamari.config.PoolDefinition;
import katamari.config.WorkerSettings;
import katamari.worker.InstanceStatus;
import katamari.worker.InstanceStatus.State;
import katamari.worker.supervisor.InstanceFailure.Reason;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The process supervision loop of one slot: keeps one {@link Instance} of a pool-version alive. It replaces an
 * instance that ended (kill what is left, restart backoff, launch, the orphan guard), pings it while idle, kills it
 * over its memory limit, recycles it after {@code maxRequests}, and ends it when the slot stops.
 *
 * <p>The slot's thread drives it ({@link #replace}, {@link #pingIfIdle}, {@link #recycleIfDue}, {@link #shutDown});
 * {@link #checkMemory} runs on the agent's watch thread and {@link #status} anywhere, hence the volatile fields.
 */
public final class Supervisor {
    private static final Logger LOG = LoggerFactory.getLogger(Supervisor.class);

    private final PoolDefinition pool;
    private final WorkerSettings settings;
    private final String instanceId;
    private final OrphanGuard orphans;
    private final NestedCalls nested;
    private final ProcessLauncher launcher;
    private final RestartBackoff backoff;
    private final CountDownLatch stopRequested = new CountDownLatch(1);
    private final CompletableFuture<Void> firstLaunch = new CompletableFuture<>();
    private volatile boolean stopping;
    private volatile State state = State.STARTING;
    private volatile Instance instance;
    private volatile int restarts;
    private volatile String lastFailure;
    /** Calls begun on the current instance; read by whichever thread acts for the slot. */
    private volatile int served;
    private final InstantSource clock;
    /** When the instance last answered or was spoken to (epoch ms of {@link #clock}): the idle ping counts from there. */
    private volatile long lastExchange;

    public Supervisor(PoolDefinition pool, WorkerSettings settings, String instanceId, OrphanGuard orphans, NestedCalls nested,
                      ProcessLauncher launcher) {
        this(pool, settings, instanceId, orphans, nested, launcher, InstantSource.system());
    }

    /** @param clock what the idle ping's interval is measured by (a test moves it) */
    public Supervisor(PoolDefinition pool, WorkerSettings settings, String instanceId, OrphanGuard orphans, NestedCalls nested,
                      ProcessLauncher launcher, InstantSource clock) {
        this.clock = clock;
        this.lastExchange = clock.millis();
        this.pool = pool;
        this.settings = settings;
        this.instanceId = instanceId;
        this.orphans = orphans;
        this.nested = nested;
        this.launcher = launcher;
        this.backoff = new RestartBackoff(settings.maxBackoff(), settings.healthyAfter());
    }

    /** Completes when the first instance said hello (or fails with why it could not). */
    public CompletableFuture<Void> firstLaunch() {
        return firstLaunch;
    }

    /** The instance, or null between one that ended and its replacement. */
    public Instance instance() {
        return instance;
    }

    public String instanceId() {
        return instanceId;
    }

    /** True once the slot was asked to stop. */
    public boolean stopping() {
        return stopping;
    }

    /** The slot is asked to stop: a backoff pause ends at once. */
    public void stop() {
        stopping = true;
        stopRequested.countDown();
    }

    public void state(State now) {
        state = now;
    }

    public InstanceStatus status() {
        Instance i = instance;
        State now = state;
        // a slot asked to stop may still finish its record: it no longer counts as running (issue 14's /cluster count)
        State shown = stopping && now != State.STOPPED ? State.STOPPING : now;
        return new InstanceStatus(instanceId, pool.name(), pool.version(), shown, i == null ? -1 : i.pid(), restarts,
                backoff.consecutiveFailures() >= settings.degradedAfter(), lastFailure, i == null ? -1 : i.rssKb());
    }

    /** Counts a call begun on the current instance (for {@code maxRequests}). */
    public void served() {
        served++;
    }

    /** True when the current instance has begun its last call before it is recycled ({@code maxRequests}). */
    public boolean lastCallDue() {
        Integer max = pool.maxRequests();
        return max != null && served >= max;
    }

    /** The instance just answered or was spoken to: the idle ping counts from now. */
    public void exchanged() {
        lastExchange = clock.millis();
    }

    /** Ends what is left of {@code old} and starts a fresh instance, after the backoff its history calls for. */
    public void replace(Instance old) {
        if (old != null) {
            old.kill(settings.killGrace());
            orphans.untrack(old.pid());
            instance = null;
            if (!old.exitAnnounced()) { // "return and exit" is a recycle, not a failure
                backoff.failed(old.uptime());
                restarts++;
                lastFailure = old.failure() == null ? "exited" : old.failure().getMessage();
            }
        }
        long wait = backoff.nextDelay().toMillis();
        if (wait > 0) {
            state = State.BACKOFF;
            if (!pause(wait)) {
                return;
            }
        }
        state = State.STARTING;
        long[] launched = {-1};
        try {
            Instance fresh = Instance.launch(launcher, pool, instanceId, settings.launchTimeout(), nested, pid -> {
                launched[0] = pid;
                orphans.track(pid);
            });
            instance = fresh;
            served = 0;
            exchanged();
            firstLaunch.complete(null);
        } catch (InstanceFailure f) {
            if (launched[0] > 0) {
                orphans.untrack(launched[0]); // launch() killed it
            }
            launchFailed(f);
        }
    }

    private void launchFailed(InstanceFailure f) {
        backoff.failed(Duration.ZERO);
        lastFailure = f.getMessage();
        int inARow = backoff.consecutiveFailures();
        String tail = f.stderrTail().isEmpty() ? "" : "\n--- stderr tail of " + instanceId + " ---\n" + f.stderrTail();
        if (inARow == settings.degradedAfter()) {
            LOG.error("pool-version {} is DEGRADED on this worker: {} launches in a row failed; last: {}{}", pool.key(), inARow, f.getMessage(), tail);
        } else {
            LOG.warn("instance {} failed to launch ({} in a row): {}{}", instanceId, inARow, f.getMessage(), tail);
        }
        if (!firstLaunch.isDone()) {
            firstLaunch.completeExceptionally(f);
        }
    }

    /** An idle instance must still answer: ping it every {@code pingInterval}, kill it if it does not pong in time. */
    public void pingIfIdle() {
        if (clock.millis() - lastExchange < settings.pingInterval().toMillis()) {
            return;
        }
        exchanged();
        Instance i = instance;
        try {
            i.ping("p" + clock.millis()).get(settings.pingTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            LOG.warn("instance {} did not answer a ping within {} ms while idle; restarting it", instanceId, settings.pingTimeout().toMillis());
            i.kill(settings.killGrace(), Reason.UNRESPONSIVE, "no pong within " + settings.pingTimeout().toMillis() + " ms");
        } catch (ExecutionException e) {
            // it died; the loop replaces it
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stop();
        }
    }

    /** Kills the instance if its resident memory is over the pool's limit; called from the agent's watch thread. */
    public void checkMemory() {
        Instance i = instance;
        Integer limit = pool.maxRssMb();
        if (i == null || limit == null || !i.isAlive()) {
            return;
        }
        long rssKb = i.rssKb();
        if (rssKb > limit * 1024L) {
            LOG.warn("instance {} uses {} MB, over maxRssMb {}; killing it", instanceId, rssKb / 1024, limit);
            // the kill waits out its grace period: keep it off the shared watch thread
            Thread killer = new Thread(() -> i.kill(settings.killGrace(), Reason.OVER_MEMORY,
                    "resident memory " + rssKb / 1024 + " MB over maxRssMb " + limit), "kill-" + instanceId);
            killer.setDaemon(true);
            killer.start();
        }
    }

    /** Condemns the instance in hand, if any (the call in flight fails at once with {@code why}). */
    public void kill(Reason reason, String why) {
        Instance i = instance;
        if (i != null) {
            i.kill(settings.killGrace(), reason, why);
        }
    }

    /** "Return and exit", or maxRequests reached: the instance is replaced, which is not a failure. */
    public void recycleIfDue(Instance i) {
        if (!i.exitAnnounced() && lastCallDue()) {
            LOG.debug("instance {} served {} requests (maxRequests); recycling it", instanceId, served);
            i.close();
            instance = null;
            orphans.untrack(i.pid());
        }
    }

    /** Ends the instance gracefully (stdin closed, then the kill sequence); the slot is done. */
    public void shutDown() {
        Instance i = instance;
        if (i != null) {
            i.close();
            orphans.untrack(i.pid());
        }
    }

    /** @return false when the slot was asked to stop meanwhile */
    private boolean pause(long ms) {
        try {
            stopRequested.await(ms, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stop();
        }
        return !stopping;
    }
}
