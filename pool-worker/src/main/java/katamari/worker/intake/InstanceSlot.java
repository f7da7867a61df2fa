package katamari.worker.intake;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import katamari.chassis.protocol.ChassisMessage;
import katamari.chassis.protocol.ChassisMessage.Call;
import katamari.chassis.protocol.ChassisMessage.Failure;
import katamari.chassis.protocol.ChassisMessage.MethodSpec;
import katamari.chassis.protocol.ChassisMessage.Result;
import katamari.config.PoolDefinition;
import katamari.config.WorkerSettings;
import katamari.topics.ErrorCode;
import katamari.topics.HeaderNames;
import katamari.topics.KatamariError;
import katamari.topics.KafkaRecords;
import katamari.topics.MalformedRequestException;
import katamari.topics.Reply;
import katamari.topics.Request;
import katamari.topics.RequestEnvelope;
import katamari.worker.InstanceStatus;
import katamari.worker.InstanceStatus.State;
import katamari.worker.reply.ReplySender;
import katamari.worker.supervisor.Instance;
import katamari.worker.supervisor.InstanceFailure;
import katamari.worker.supervisor.InstanceFailure.Reason;
import katamari.worker.supervisor.NestedCalls;
import katamari.worker.supervisor.OrphanGuard;
import katamari.worker.supervisor.RestartBackoff;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One instance and its supervision: launch, restart with backoff, pings while idle, memory limit, deadlines.
 *
 * <p>The slot takes a record from its pool-version's {@link PoolIntake} only while the instance is alive and idle
 * (for a pool with {@code pipeline}, also one more near the end of the running call, written ahead), runs it,
 * sends the reply, and tells the intake how to acknowledge it: ACCEPT when answered (the reply is acknowledged by
 * the broker first), RELEASE when the instance died under it (redelivered to any instance), REJECT when its
 * attempts are spent (then dead-lettered). One thread at a time acts for the slot: its own, or, while answers
 * find records already waiting, the instance's stdout reader ({@link #relay}); the hand-over is a compare-and-set.
 */
public final class InstanceSlot implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(InstanceSlot.class);
    private static final Duration TAKE = Duration.ofMillis(500);
    /** Pipeline: the share of a call's expected run after which the next call is written ahead. */
    private static final double AHEAD_FROM = 0.8;

    private final PoolDefinition pool;
    private final WorkerSettings settings;
    private final PoolIntake intake;
    private final String instanceId;
    private final ReplySender replies;
    private final OrphanGuard orphans;
    private final NestedCalls nested;
    private final RestartBackoff backoff;
    private final CountDownLatch stopRequested = new CountDownLatch(1);
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final CompletableFuture<Void> firstLaunch = new CompletableFuture<>();
    private volatile boolean running = true;
    private volatile State state = State.STARTING;
    private volatile Instance instance;
    private volatile int restarts;
    private volatile String lastFailure;
    /** Read by the stdout reader before it takes a call over ({@link #onAnswer}). */
    private volatile int served;
    /**
     * Non-pipelining pools: the call in flight whose answer nobody has taken over yet, {@link #RELAYING} while the
     * stdout reader finishes one and begins the next, null once the slot's thread is to go on. Whoever swaps a call
     * out of it owns that call's reply and acknowledgement.
     */
    private final AtomicReference<Running> live = new AtomicReference<>();
    private static final Running RELAYING = new Running(null, null, null, null, 0, 0, null, null);
    /** The slot's thread waits here while the reader relays; {@link #wakeAt} is when it means to look again. */
    private final Object turn = new Object();
    private volatile long wakeAt = Long.MAX_VALUE;
    /** The writes (reply, dead letter) of the record in hand, until {@link #complete} hands them on; whoever acts for the slot. */
    private CompletableFuture<Void> replied;
    private long lastExchangeNanos = System.nanoTime();
    /** Pipeline, slot thread only: when the instance started the call in hand, and how long its calls take (EWMA). */
    private long headStartedNanos;
    private double callNanos;

    public InstanceSlot(PoolDefinition pool, WorkerSettings settings, PoolIntake intake, String instanceId,
                        ReplySender replies, OrphanGuard orphans, NestedCalls nested) {
        this.pool = pool;
        this.settings = settings;
        this.intake = intake;
        this.instanceId = instanceId;
        this.replies = replies;
        this.orphans = orphans;
        this.nested = nested;
        this.backoff = new RestartBackoff(settings.maxBackoff(), settings.healthyAfter());
    }

    /** Completes when the slot's first instance said hello (or fails with why it could not). */
    public CompletableFuture<Void> firstLaunch() {
        return firstLaunch;
    }

    public InstanceStatus status() {
        Instance i = instance;
        State now = state;
        // a slot asked to stop may still finish its record: it no longer counts as running (issue 14's /cluster count)
        State shown = !running && now != State.STOPPED ? State.STOPPING : now;
        return new InstanceStatus(instanceId, pool.name(), pool.version(), shown, i == null ? -1 : i.pid(), restarts,
                backoff.consecutiveFailures() >= settings.degradedAfter(), lastFailure);
    }

    /** A record whose call was written to the instance and is not answered yet. */
    private record Running(Work work, String id, String replyTo, String callId, long deadline, int delivery,
                           Instance instance, CompletableFuture<ChassisMessage> answer) {}

    @Override
    public void run() {
        try {
            Running head = null;
            // a stop lets the record in hand finish, and the one written ahead of it (pipeline)
            while (running || head != null) {
                if (head == null) {
                    Instance current = instance;
                    if (current == null || !current.isAlive()) {
                        replace(current);
                        continue;
                    }
                    state = State.IDLE;
                    Work work = intake.next(TAKE);
                    if (work == null) {
                        pingIfIdle();
                        continue;
                    }
                    state = State.BUSY;
                    headStartedNanos = System.nanoTime();
                    head = beginSafely(work, current);
                    if (head == null) {
                        lastExchangeNanos = System.nanoTime();
                        continue;
                    }
                }
                if (!pool.pipelines()) {
                    head = relay(head);
                    if (head == null) {
                        continue; // the reader finished the chain: the instance is idle
                    }
                }
                Running ahead = pool.pipelines() && running ? writeAhead(head) : null;
                finish(head);
                headStartedNanos = System.nanoTime(); // the instance went on with the call written ahead, if any
                head = ahead;
                lastExchangeNanos = System.nanoTime();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.error("slot {} failed", instanceId, e);
        } finally {
            state = State.STOPPING;
            shutDown();
            state = State.STOPPED;
            stopped.countDown();
        }
    }

    /**
     * Lets the instance's stdout reader carry the work on from {@code head}: on each answer it replies, completes the
     * record and begins the next one already waiting in the intake ({@link #onAnswer}), so under load an answer
     * wakes no other thread (measured side by side at concurrency 32: 9,700 → 10,350 echo requests/s). This thread only
     * watches the deadline of the call in flight and takes back what the reader leaves.
     *
     * @return null when the reader finished the last call and found nothing waiting (the instance is idle); else
     *     the call this thread must finish itself: it failed, reached its deadline, or the slot is stopping
     */
    private Running relay(Running head) throws InterruptedException {
        live.set(head);
        head.answer().whenComplete((m, e) -> onAnswer(head));
        while (true) {
            Running current = live.get();
            if (current == null) {
                return null;
            }
            boolean relaying = current == RELAYING;
            if (!relaying && (!running || current.answer().isDone() || System.currentTimeMillis() >= current.deadline())) {
                if (live.compareAndSet(current, null)) {
                    return current; // answered but left to this thread, failed, due, or stopping
                }
                continue;
            }
            synchronized (turn) {
                wakeAt = relaying ? Long.MAX_VALUE : current.deadline();
                if (live.get() == current && (relaying || (running && !current.answer().isDone()))) {
                    turn.wait(relaying ? 0 : Math.max(1, wakeAt - System.currentTimeMillis()));
                }
            }
        }
    }

    /**
     * Runs on the thread that completed {@code r}'s answer: the instance's stdout reader, or whoever ended the
     * instance. An answer is finished here and the next waiting record begun; anything else (a failure, a recycle
     * that is due, a stop) is left to the slot's thread.
     */
    private void onAnswer(Running r) {
        Integer max = pool.maxRequests();
        boolean plain = !r.answer().isCompletedExceptionally() && running && !r.instance().exitAnnounced()
                && (max == null || served < max);
        if (!plain || !live.compareAndSet(r, RELAYING)) {
            wakeSlot();
            return;
        }
        Running next = null;
        try {
            finish(r);
            lastExchangeNanos = System.nanoTime();
            Instance i = r.instance();
            while (next == null && running && i == instance && i.isAlive()) {
                Work work = intake.poll();
                if (work == null) {
                    break;
                }
                next = beginSafely(work, i);
            }
        } finally {
            live.set(next);
            if (next == null || next.deadline() < wakeAt) { // the slot's thread sleeps until the earlier call's deadline
                wakeSlot();
            }
        }
        Running chained = next;
        if (chained != null) {
            chained.answer().whenComplete((m, e) -> onAnswer(chained));
        }
    }

    private void wakeSlot() {
        synchronized (turn) {
            turn.notifyAll();
        }
    }

    /**
     * Pipeline: near the end of {@code head}'s expected run, takes the next record and writes its call too, so the
     * instance starts it the moment it answers {@code head} instead of waiting for this thread. Only near the end:
     * a record bound to a busy instance early would wait there while another instance goes idle (measured:
     * writing ahead at once lost 15-20 % of sleep10's throughput when requests were scarce). Records answered
     * without a call (bad request, unknown method) do not count. Returns null when {@code head} was answered first.
     */
    private Running writeAhead(Running head) {
        Integer max = pool.maxRequests();
        if (callNanos == 0 || (max != null && served >= max)) {
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
        long untilNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(head.deadline() - System.currentTimeMillis());
        while (true) {
            Work next = intake.nextAhead(head.answer(), untilNanos);
            if (next == null) {
                return null;
            }
            if (!head.instance().isAlive()) {
                complete(next, AcknowledgeType.RELEASE); // it ended under head: another instance takes this one
                return null;
            }
            Running r = beginSafely(next, head.instance());
            if (r != null) {
                return r;
            }
        }
    }

    /** Waits for the answer of {@code r}, replies, and tells the intake how to acknowledge its record. */
    private void finish(Running r) {
        AcknowledgeType outcome;
        try {
            outcome = awaitAnswer(r);
            if (r.answer().isDone() && !r.answer().isCompletedExceptionally()) {
                long took = System.nanoTime() - headStartedNanos;
                callNanos = callNanos == 0 ? took : callNanos + (took - callNanos) / 8;
            }
        } catch (RuntimeException e) {
            outcome = agentFault(r.work(), e);
        }
        complete(r.work(), outcome);
    }

    /**
     * The slot moves on while the reply travels; the record is acknowledged once the reply (or its dead letter) is
     * written, which during a broker outage may take until the request's deadline and beyond (ReplySender): its
     * feeder renews the lock meanwhile, and no slot waits for it.
     */
    private void complete(Work work, AcknowledgeType outcome) {
        CompletableFuture<Void> sent = replied;
        replied = null;
        if (sent == null) {
            work.complete(outcome);
        } else {
            sent.thenRun(() -> work.complete(outcome));
        }
    }

    /** Ends what is left of {@code old} and starts a fresh instance, after the backoff its history calls for. */
    private void replace(Instance old) {
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
            pause(wait);
            if (!running) {
                return;
            }
        }
        state = State.STARTING;
        long[] launched = {-1};
        try {
            Instance fresh = Instance.launch(pool, instanceId, settings.launchTimeout(), nested, pid -> {
                launched[0] = pid;
                orphans.track(pid);
            });
            instance = fresh;
            served = 0;
            lastExchangeNanos = System.nanoTime();
            firstLaunch.complete(null);
        } catch (InstanceFailure f) {
            if (launched[0] > 0) {
                orphans.untrack(launched[0]); // launch() killed it
            }
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
    }

    /** An idle instance must still answer: ping it every {@code pingInterval}, kill it if it does not pong in time. */
    private void pingIfIdle() {
        if (System.nanoTime() - lastExchangeNanos < settings.pingInterval().toNanos()) {
            return;
        }
        lastExchangeNanos = System.nanoTime();
        Instance i = instance;
        try {
            i.ping("p" + System.nanoTime()).get(settings.pingTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            LOG.warn("instance {} did not answer a ping within {} ms while idle; restarting it", instanceId, settings.pingTimeout().toMillis());
            i.kill(settings.killGrace(), Reason.UNRESPONSIVE, "no pong within " + settings.pingTimeout().toMillis() + " ms");
        } catch (ExecutionException e) {
            // it died; the loop replaces it
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
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

    /** A fault in the agent's own handling must not end the slot: the record goes back for another try. */
    private Running beginSafely(Work work, Instance i) {
        try {
            return begin(work, i);
        } catch (RuntimeException e) {
            complete(work, agentFault(work, e));
            return null;
        }
    }

    private AcknowledgeType agentFault(Work work, RuntimeException e) {
        LOG.error("slot {} failed handling a record at offset {}; releasing it", instanceId, work.record.offset(), e);
        Instance i = instance;
        if (i != null) {
            i.kill(settings.killGrace(), Reason.KILLED, "the agent failed while it had a request");
        }
        return AcknowledgeType.RELEASE;
    }

    /**
     * Checks the record and writes its call to {@code i}. A record that can be answered without the instance (bad
     * request, deadline already passed, unknown method) is answered and completed here, and null returned.
     */
    private Running begin(Work work, Instance i) {
        ConsumerRecord<byte[], byte[]> record = work.record;
        RequestEnvelope envelope;
        try {
            envelope = KafkaRecords.fromRecord(record);
        } catch (MalformedRequestException e) {
            refuse(record, e);
            complete(work, AcknowledgeType.ACCEPT);
            return null;
        }
        long deadline = envelope.deadlineOr(record.timestamp() + pool.timeout().toMillis());
        int delivery = record.deliveryCount().map(Short::intValue).orElse(1);
        Request request = envelope.request();
        KatamariError early = System.currentTimeMillis() >= deadline
                ? error(ErrorCode.TIMEOUT, "the deadline passed before an instance was free")
                : validate(i, request);
        if (early != null) {
            answer(record, envelope.id(), envelope.replyTo(), deadline, early);
            complete(work, AcknowledgeType.ACCEPT);
            return null;
        }
        String callId = envelope.id() != null ? envelope.id() : "r-" + record.partition() + "-" + record.offset();
        CompletableFuture<ChassisMessage> answer = i.call(new Call(callId, request.method(), request.args(), deadline));
        served++;
        return new Running(work, envelope.id(), envelope.replyTo(), callId, deadline, delivery, i, answer);
    }

    /** A record that is not a request: answered {@code bad_request} where the caller can be reached, else dead-lettered or logged. */
    private void refuse(ConsumerRecord<byte[], byte[]> record, MalformedRequestException e) {
        if (e.canReply()) {
            answer(record, e.id(), e.replyTo(), record.timestamp() + pool.timeout().toMillis(), error(ErrorCode.BAD_REQUEST, e.getMessage()));
        } else if (e.wantsReply()) {
            also(replies.deadLetter(pool.name(), pool.version(), record.key(), record.value(), record.headers(),
                    "a reply was asked for but cannot be sent: " + e.getMessage(), 1, instanceId, ""));
        } else {
            LOG.info("fire-and-forget request of {} refused: {}", pool.key(), e.getMessage());
        }
    }

    /** @return how to acknowledge the record of {@code r} */
    private AcknowledgeType awaitAnswer(Running r) {
        ConsumerRecord<byte[], byte[]> record = r.work().record;
        String id = r.id();
        String replyTo = r.replyTo();
        String callId = r.callId();
        long deadline = r.deadline();
        int delivery = r.delivery();
        Instance i = r.instance();
        try {
            ChassisMessage message = r.answer().get(Math.max(1, deadline - System.currentTimeMillis()), TimeUnit.MILLISECONDS);
            answer(record, id, replyTo, deadline, message instanceof Result res ? res.result() : ((Failure) message).error());
            recycleIfDue(i);
            return AcknowledgeType.ACCEPT;
        } catch (TimeoutException e) {
            // the caller has given up: answer now, then stop the instance that is still working on it
            answer(record, id, replyTo, deadline, error(ErrorCode.TIMEOUT, "no answer within the deadline; instance " + instanceId + " was stopped"));
            LOG.warn("instance {} still busy at the deadline of {}; stopping it (SIGTERM, {} ms grace, SIGKILL)", instanceId, callId, settings.killGrace().toMillis());
            i.kill(settings.killGrace(), Reason.KILLED, "still busy at the request's deadline");
            return AcknowledgeType.ACCEPT;
        } catch (ExecutionException e) {
            InstanceFailure f = e.getCause() instanceof InstanceFailure x ? x
                    : new InstanceFailure(Reason.CRASHED, String.valueOf(e.getCause()), i.stderrTail());
            if (f.reason() == Reason.NOT_STARTED || (!running && f.reason() == Reason.KILLED)) {
                // never started (written ahead), or killed by our own shutdown: another instance takes it
                return AcknowledgeType.RELEASE;
            }
            LOG.warn("instance {} failed on {} (attempt {} of {}): {}", instanceId, callId, delivery, pool.attempts(), f.getMessage());
            if (delivery < pool.attempts()) {
                return AcknowledgeType.RELEASE;
            }
            also(replies.deadLetter(pool.name(), pool.version(), record.key(), record.value(), record.headers(),
                    f.reason().name().toLowerCase(), delivery, instanceId, f.stderrTail()));
            answer(record, id, replyTo, deadline, error(ErrorCode.INSTANCE_CRASHED,
                    "the instance died on this request on every allowed attempt (" + delivery + "): " + f.getMessage()));
            return AcknowledgeType.REJECT;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
            return AcknowledgeType.RELEASE;
        }
    }

    /** "Return and exit", or maxRequests reached: the instance is replaced, which is not a failure. */
    private void recycleIfDue(Instance i) {
        Integer max = pool.maxRequests();
        if (!i.exitAnnounced() && max != null && served >= max) {
            LOG.debug("instance {} served {} requests (maxRequests); recycling it", instanceId, served);
            i.close();
            instance = null;
            orphans.untrack(i.pid());
        }
    }

    private KatamariError validate(Instance i, Request request) {
        MethodSpec spec = i.hello().methods().get(request.method());
        if (spec == null) {
            return error(ErrorCode.METHOD_NOT_FOUND, "pool " + pool.name() + " has no method '" + request.method()
                    + "'; it has " + new TreeSet<>(i.hello().methods().keySet()));
        }
        Set<String> given = new TreeSet<>();
        request.args().fieldNames().forEachRemaining(given::add);
        Optional<String> mismatch = spec.mismatch(given);
        if (mismatch.isPresent()) {
            return error(ErrorCode.BAD_REQUEST, "method " + request.method() + " " + mismatch.get());
        }
        return null;
    }

    private KatamariError error(ErrorCode code, String message) {
        return KatamariError.of(code, message).at(pool.name(), pool.version());
    }

    /** @param outcome a result ({@link JsonNode}) or a {@link KatamariError} */
    private void answer(ConsumerRecord<byte[], byte[]> record, String id, String replyTo, long deadline, Object outcome) {
        if (replyTo == null) {
            if (outcome instanceof KatamariError e) {
                LOG.info("fire-and-forget request of {} failed: {} {}", pool.key(), e.code(), e.message());
            }
            return;
        }
        Reply reply = outcome instanceof KatamariError e
                ? Reply.failure(id, e.pool() == null ? e.at(pool.name(), pool.version()) : e)
                : Reply.success(id, (JsonNode) outcome);
        also(replies.reply(replyTo, reply, pool.name(), pool.version(), instanceId, record, deadline));
    }

    /** The record in hand is acknowledged only once {@code write} (a reply or a dead letter) is done too. */
    private void also(CompletableFuture<Void> write) {
        replied = replied == null ? write : replied.thenCombine(write, (a, b) -> null);
    }

    private void pause(long ms) {
        try {
            stopRequested.await(ms, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }

    /** Asks the slot to stop; it finishes the record in hand first (drain). */
    public void stop() {
        running = false;
        wakeSlot();
        stopRequested.countDown(); // an idle slot notices within one take (0.5 s)
    }

    /** Waits until the slot has stopped its instance. */
    public boolean awaitStopped(Duration timeout) throws InterruptedException {
        return stopped.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void shutDown() {
        Instance i = instance;
        if (i != null) {
            i.close();
            orphans.untrack(i.pid());
        }
    }
}
