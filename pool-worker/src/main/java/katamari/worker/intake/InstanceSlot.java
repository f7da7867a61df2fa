package katamari.worker.intake;

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
import katamari.worker.cancel.Cancels;
import katamari.worker.reply.ReplySender;
import katamari.worker.supervisor.Instance;
import katamari.worker.supervisor.NestedCalls;
import katamari.worker.supervisor.OrphanGuard;
import katamari.worker.supervisor.ProcessLauncher;
import katamari.worker.supervisor.Supervisor;
import katamari.config.LogKeys;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * One instance's place in its pool-version's intake: a thread that takes a record from the {@link PoolIntake} only
 * while its instance is alive and idle (for a pool with {@code pipeline}, also one more near the end of the running
 * call, written ahead), and has it run. Three parts do the work: the {@link Supervisor} keeps the instance alive
 * (launch, backoff, pings, memory, recycle, shutdown), the {@link CallRunner} turns a record into a call and its
 * answer into a reply and an acknowledgement, and the {@link Relay} lets the instance's stdout reader carry calls
 * on to the next while records wait.
 */
public final class InstanceSlot implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(InstanceSlot.class);
    private static final Duration TAKE = Duration.ofMillis(500);
    /** Pipeline: the share of a call's expected run after which the next call is written ahead. */
    private static final double AHEAD_FROM = 0.8;

    private final PoolDefinition pool;
    private final PoolIntake intake;
    private final InstantSource clock;
    private final Supervisor supervisor;
    private final CallRunner calls;
    private final Relay relay;
    /** The majority requests this slot ran a copy of: their other copies go to other instances. */
    private final Siblings siblings = new Siblings();
    private final CountDownLatch stopped = new CountDownLatch(1);
    /** Pipeline, slot thread only: when the instance started the call in hand, and how long its calls take (EWMA). */
    private long headStartedNanos;
    private double callNanos;

    /** @param answers where successful answers of the pool's cached methods go */
    public InstanceSlot(PoolDefinition pool, WorkerSettings settings, PoolIntake intake, String instanceId,
                        ReplySender replies, Cancels cancels, OrphanGuard orphans, NestedCalls nested, AnswerStore answers) {
        this(pool, settings, intake, new Supervisor(pool, settings, instanceId, orphans, nested, ProcessLauncher.system()),
                replies, cancels, InstantSource.system(), answers);
    }

    /** @param clock the wall clock that deadlines are read against */
    InstanceSlot(PoolDefinition pool, WorkerSettings settings, PoolIntake intake, Supervisor supervisor, ReplySender replies,
                 Cancels cancels, InstantSource clock, AnswerStore answers) {
        this.pool = pool;
        this.intake = intake;
        this.clock = clock;
        this.supervisor = supervisor;
        this.calls = new CallRunner(pool, settings, replies, supervisor, cancels, clock, answers);
        this.relay = new Relay(intake, calls, supervisor, clock, siblings);
    }

    /** Completes when the slot's first instance said hello (or fails with why it could not). */
    public CompletableFuture<Void> firstLaunch() {
        return supervisor.firstLaunch();
    }

    public InstanceStatus status() {
        return supervisor.status();
    }

    /** Kills the instance if its resident memory is over the pool's limit; called from the agent's watch thread. */
    public void checkMemory() {
        supervisor.checkMemory();
    }

    @Override
    public void run() {
        // the slot's thread is its own for the instance's life: its records name pool, version and instance
        MDC.put(LogKeys.POOL, pool.name());
        MDC.put(LogKeys.VERSION, pool.version());
        MDC.put(LogKeys.INSTANCE, supervisor.instanceId());
        try {
            RunningCall head = null;
            // a stop lets the record in hand finish, and the one written ahead of it (pipeline)
            while (!supervisor.stopping() || head != null) {
                if (head == null) {
                    head = take();
                    if (head == null) {
                        continue;
                    }
                }
                if (!pool.pipelines()) {
                    head = relay.carry(head);
                    if (head == null) {
                        continue; // the reader finished the chain: the instance is idle
                    }
                }
                RunningCall ahead = pool.pipelines() && !supervisor.stopping() ? writeAhead(head) : null;
                calls.finish(head);
                learn(head);
                headStartedNanos = System.nanoTime(); // the instance went on with the call written ahead, if any
                head = ahead;
                supervisor.exchanged();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.error("slot {} failed", supervisor.instanceId(), e);
        } finally {
            supervisor.state(State.STOPPING);
            supervisor.shutDown();
            supervisor.state(State.STOPPED);
            stopped.countDown();
        }
    }

    /** With the instance alive and idle, takes the next record and begins it; null when there was none to begin. */
    private RunningCall take() throws InterruptedException {
        Instance current = supervisor.instance();
        if (current == null || !current.isAlive()) {
            supervisor.replace(current);
            return null;
        }
        supervisor.state(State.IDLE);
        Work work = intake.next(TAKE, siblings);
        if (work == null) {
            supervisor.pingIfIdle();
            return null;
        }
        supervisor.state(State.BUSY);
        headStartedNanos = System.nanoTime();
        RunningCall head = calls.begin(work, current);
        if (head == null) {
            supervisor.exchanged(); // answered without a call
        }
        return head;
    }

    /** Pipeline: how long a call runs, from the answers of calls that succeeded. */
    private void learn(RunningCall head) {
        if (pool.pipelines() && head.answer().isDone() && !head.answer().isCompletedExceptionally()) {
            long took = System.nanoTime() - headStartedNanos;
            callNanos = callNanos == 0 ? took : callNanos + (took - callNanos) / 8;
        }
    }

    /**
     * Pipeline: near the end of {@code head}'s expected run, takes the next record and writes its call too, so the
     * instance starts it the moment it answers {@code head} instead of waiting for this thread. Only near the end:
     * a record bound to a busy instance early would wait there while another instance goes idle (measured:
     * writing ahead at once lost 15-20 % of sleep10's throughput when requests were scarce). Records answered
     * without a call (bad request, unknown method) do not count. Returns null when {@code head} was answered first.
     */
    private RunningCall writeAhead(RunningCall head) {
        if (callNanos == 0 || supervisor.lastCallDue()) {
            return null; // no estimate yet, or head is the instance's last request before it is recycled
        }
        long from = headStartedNanos + (long) (AHEAD_FROM * callNanos);
        try {
            head.answer().get(Math.max(0, from - System.nanoTime()), TimeUnit.NANOSECONDS);
            return null; // answered before its expected end
        } catch (TimeoutException e) {
            // near its expected end: look for the next record
        } catch (ExecutionException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
        long untilNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(head.deadline() - clock.millis());
        while (true) {
            Work next = intake.nextAhead(head.answer(), untilNanos, siblings);
            if (next == null) {
                return null;
            }
            if (!head.instance().isAlive()) {
                calls.release(next); // it ended under head: another instance takes this one
                return null;
            }
            RunningCall r = calls.begin(next, head.instance());
            if (r != null) {
                return r;
            }
        }
    }

    /** Asks the slot to stop; it finishes the record in hand first (drain). An idle slot notices within one take (0.5 s). */
    public void stop() {
        supervisor.stop();
        relay.wake();
    }

    /** Waits until the slot has stopped its instance. */
    public boolean awaitStopped(Duration timeout) throws InterruptedException {
        return stopped.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }
}
