package katamari.worker.intake;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import katamari.chassis.protocol.ChassisMessage;
import katamari.chassis.protocol.ChassisMessage.Call;
import katamari.chassis.protocol.ChassisMessage.Failure;
import katamari.chassis.protocol.ChassisMessage.MethodSpec;
import katamari.chassis.protocol.ChassisMessage.Result;
import katamari.config.KafkaSettings;
import katamari.config.PoolDefinition;
import katamari.config.WorkerSettings;
import katamari.topics.ErrorCode;
import katamari.topics.HeaderNames;
import katamari.topics.KatamariError;
import katamari.topics.MalformedRecordException;
import katamari.topics.Reply;
import katamari.topics.Request;
import katamari.topics.TopicNames;
import katamari.topics.WireCodec;
import katamari.worker.InstanceStatus;
import katamari.worker.InstanceStatus.State;
import katamari.worker.reply.ReplySender;
import katamari.worker.reply.ReplySender.UndeliverableReply;
import katamari.worker.supervisor.Instance;
import katamari.worker.supervisor.InstanceFailure;
import katamari.worker.supervisor.InstanceFailure.Reason;
import katamari.worker.supervisor.NestedCalls;
import katamari.worker.supervisor.OrphanGuard;
import katamari.worker.supervisor.RestartBackoff;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One instance and the share consumer that feeds it; the slot's thread is the only one that touches either.
 *
 * <p>A slot takes a record only when its instance is alive and idle ({@code max.poll.records=1}, record-limited
 * acquisition), so records wait in Kafka, not in the agent, and a free instance anywhere takes the next one. Each
 * record is acknowledged once, after its reply is sent: ACCEPT when answered, RELEASE at once when the instance
 * died under it (redelivered to any instance), REJECT when its attempts are spent (then dead-lettered). While a
 * request runs longer than half the share-group lock, the lock is renewed, so only a dead agent's records expire.
 */
public final class InstanceSlot implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(InstanceSlot.class);
    private static final Duration POLL = Duration.ofMillis(500);

    private final PoolDefinition pool;
    private final WorkerSettings settings;
    private final KafkaSettings kafka;
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
    private KafkaShareConsumer<byte[], byte[]> consumer;
    private volatile KafkaShareConsumer<byte[], byte[]> wakeable;
    private int served;
    private long lastExchangeNanos = System.nanoTime();

    public InstanceSlot(PoolDefinition pool, WorkerSettings settings, KafkaSettings kafka, String instanceId,
                        ReplySender replies, OrphanGuard orphans, NestedCalls nested) {
        this.pool = pool;
        this.settings = settings;
        this.kafka = kafka;
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
        return new InstanceStatus(instanceId, pool.name(), pool.version(), state, i == null ? -1 : i.pid(), restarts,
                backoff.consecutiveFailures() >= settings.degradedAfter(), lastFailure);
    }

    @Override
    public void run() {
        try {
            while (running) {
                Instance current = instance;
                if (current == null || !current.isAlive()) {
                    replace(current);
                    continue;
                }
                state = State.IDLE;
                ConsumerRecords<byte[], byte[]> records;
                try {
                    records = consumer().poll(POLL);
                } catch (WakeupException e) {
                    continue;
                }
                for (ConsumerRecord<byte[], byte[]> record : records) {
                    state = State.BUSY;
                    AcknowledgeType outcome = handleSafely(record);
                    if (outcome != null) {
                        consumer.acknowledge(record, outcome);
                        // an ACCEPT rides on the next poll's fetch (measured cheaper than a separate commit); a
                        // RELEASE or REJECT is sent now, because the slot may spend a while replacing its instance
                        if (outcome != AcknowledgeType.ACCEPT) {
                            consumer.commitAsync();
                        }
                    }
                    lastExchangeNanos = System.nanoTime();
                }
                if (records.isEmpty()) {
                    pingIfIdle();
                }
            }
        } catch (RuntimeException e) {
            LOG.error("slot {} failed", instanceId, e);
        } finally {
            state = State.STOPPING;
            shutDown();
            state = State.STOPPED;
            stopped.countDown();
        }
    }

    private KafkaShareConsumer<byte[], byte[]> consumer() {
        if (consumer == null) {
            Properties p = kafka.clientProperties();
            p.put(ConsumerConfig.GROUP_ID_CONFIG, TopicNames.shareGroup(pool.name(), pool.version()));
            p.put(ConsumerConfig.CLIENT_ID_CONFIG, "katamari-" + instanceId);
            p.put(ConsumerConfig.SHARE_ACKNOWLEDGEMENT_MODE_CONFIG, "explicit");
            // one record per poll, and the broker hands out no more than that: a busy instance holds nothing back
            p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "1");
            p.put(ConsumerConfig.SHARE_ACQUIRE_MODE_CONFIG, "record_limit");
            consumer = new KafkaShareConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
            consumer.subscribe(List.of(TopicNames.requests(pool.name(), pool.version())));
            wakeable = consumer;
        }
        return consumer;
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
    private AcknowledgeType handleSafely(ConsumerRecord<byte[], byte[]> record) {
        try {
            return handle(record);
        } catch (RuntimeException e) {
            LOG.error("slot {} failed handling a record at offset {}; releasing it", instanceId, record.offset(), e);
            Instance i = instance;
            if (i != null) {
                i.kill(settings.killGrace(), Reason.KILLED, "the agent failed while it had a request");
            }
            return AcknowledgeType.RELEASE;
        }
    }

    /** @return how to acknowledge the record, or null when it must not be acknowledged (its lock was lost) */
    private AcknowledgeType handle(ConsumerRecord<byte[], byte[]> record) {
        String id = header(record, HeaderNames.ID);
        String replyTo = header(record, HeaderNames.REPLY_TO);
        long deadline = deadline(record);
        int delivery = record.deliveryCount().map(Short::intValue).orElse(1);
        Request request;
        try {
            request = WireCodec.decodeRequest(record.value());
        } catch (MalformedRecordException e) {
            answer(record, id, replyTo, error(ErrorCode.BAD_REQUEST, e.getMessage()));
            return AcknowledgeType.ACCEPT;
        }
        if (System.currentTimeMillis() >= deadline) {
            answer(record, id, replyTo, error(ErrorCode.TIMEOUT, "the deadline passed before an instance was free"));
            return AcknowledgeType.ACCEPT;
        }
        Instance i = instance;
        KatamariError invalid = validate(i, request);
        if (invalid != null) {
            answer(record, id, replyTo, invalid);
            return AcknowledgeType.ACCEPT;
        }
        String callId = id != null ? id : "r-" + record.partition() + "-" + record.offset();
        CompletableFuture<ChassisMessage> answer = i.call(new Call(callId, request.method(), request.args(), deadline));
        served++;
        try {
            ChassisMessage message = awaitRenewingLock(record, answer, deadline);
            answer(record, id, replyTo, message instanceof Result r ? r.result() : ((Failure) message).error());
            recycleIfDue(i);
            return AcknowledgeType.ACCEPT;
        } catch (TimeoutException e) {
            // the caller has given up: answer now, then stop the instance that is still working on it
            answer(record, id, replyTo, error(ErrorCode.TIMEOUT, "no answer within the deadline; instance " + instanceId + " was stopped"));
            LOG.warn("instance {} still busy at the deadline of {}; stopping it (SIGTERM, {} ms grace, SIGKILL)", instanceId, callId, settings.killGrace().toMillis());
            i.kill(settings.killGrace(), Reason.KILLED, "still busy at the request's deadline");
            return AcknowledgeType.ACCEPT;
        } catch (ExecutionException e) {
            InstanceFailure f = e.getCause() instanceof InstanceFailure x ? x
                    : new InstanceFailure(Reason.CRASHED, String.valueOf(e.getCause()), i.stderrTail());
            if (!running && f.reason() == Reason.KILLED) {
                return AcknowledgeType.RELEASE; // killed by our own shutdown: another agent takes it
            }
            LOG.warn("instance {} failed on {} (attempt {} of {}): {}", instanceId, callId, delivery, pool.attempts(), f.getMessage());
            if (delivery < pool.attempts()) {
                return AcknowledgeType.RELEASE;
            }
            replies.deadLetter(pool.name(), pool.version(), record.key(), record.value(), record.headers(),
                    f.reason().name().toLowerCase(), delivery, instanceId, f.stderrTail());
            answer(record, id, replyTo, error(ErrorCode.INSTANCE_CRASHED,
                    "the instance died on this request on every allowed attempt (" + delivery + "): " + f.getMessage()));
            return AcknowledgeType.REJECT;
        } catch (LockLost e) {
            LOG.warn("the share-group lock of {} was not renewed; its answer is still sent, the record is left to the broker", callId);
            try {
                ChassisMessage message = answer.get(Math.max(1, deadline - System.currentTimeMillis()), TimeUnit.MILLISECONDS);
                answer(record, id, replyTo, message instanceof Result r ? r.result() : ((Failure) message).error());
            } catch (Exception ignored) {
                // the redelivered copy will be answered (or time out) on its own
            }
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
            return AcknowledgeType.RELEASE;
        }
    }

    /**
     * Waits for the answer until the deadline, renewing the record's share-group lock every half lock period.
     *
     * <p>A renewal takes the record out of the consumer's hands until a later {@code poll()} returns it (KIP-1222;
     * that poll fetches nothing new), so after each RENEW the slot polls until the record is back: only then can
     * it be acknowledged again. If the broker refuses the renewal the record never comes back; {@link LockLost}
     * says so, and the caller must not acknowledge it.
     */
    private ChassisMessage awaitRenewingLock(ConsumerRecord<byte[], byte[]> record, CompletableFuture<ChassisMessage> answer, long deadline)
            throws TimeoutException, ExecutionException, InterruptedException, LockLost {
        long renewEvery = Math.max(500, consumer.acquisitionLockTimeoutMs().orElse(30_000) / 2);
        while (true) {
            long left = deadline - System.currentTimeMillis();
            if (left <= 0) {
                throw new TimeoutException();
            }
            try {
                return answer.get(Math.min(left, renewEvery), TimeUnit.MILLISECONDS);
            } catch (TimeoutException stillRunning) {
                if (deadline - System.currentTimeMillis() > renewEvery / 2) {
                    consumer.acknowledge(record, AcknowledgeType.RENEW);
                    consumer.commitAsync();
                    awaitRenewed(record, renewEvery * 2);
                }
            }
        }
    }

    private void awaitRenewed(ConsumerRecord<byte[], byte[]> record, long withinMs) throws LockLost {
        long until = System.currentTimeMillis() + withinMs;
        while (System.currentTimeMillis() < until) {
            for (ConsumerRecord<byte[], byte[]> back : consumer.poll(Duration.ofMillis(100))) {
                if (back.partition() == record.partition() && back.offset() == record.offset()) {
                    return;
                }
                LOG.warn("slot {} got record {} while renewing {}; releasing it", instanceId, back.offset(), record.offset());
                consumer.acknowledge(back, AcknowledgeType.RELEASE);
            }
        }
        throw new LockLost();
    }

    /** The broker did not renew a record's lock; another consumer may get it, and this one must not acknowledge it. */
    private static final class LockLost extends Exception {
        LockLost() {
            super(null, null, false, false);
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
    private void answer(ConsumerRecord<byte[], byte[]> record, String id, String replyTo, Object outcome) {
        if (replyTo == null) {
            if (outcome instanceof KatamariError e) {
                LOG.info("fire-and-forget request of {} failed: {} {}", pool.key(), e.code(), e.message());
            }
            return;
        }
        if (id == null) {
            replies.deadLetter(pool.name(), pool.version(), record.key(), record.value(), record.headers(),
                    "a reply was asked for but the request has no " + HeaderNames.ID + " header", 1, instanceId, "");
            return;
        }
        Reply reply = outcome instanceof KatamariError e
                ? Reply.failure(id, e.pool() == null ? e.at(pool.name(), pool.version()) : e)
                : Reply.success(id, (JsonNode) outcome);
        try {
            replies.send(replyTo, reply, pool.name(), pool.version(), instanceId);
        } catch (UndeliverableReply e) {
            LOG.warn("cannot deliver the reply to {} of {}: {}; dead-lettering the request", id, pool.key(), e.getMessage());
            replies.deadLetter(pool.name(), pool.version(), record.key(), record.value(), record.headers(),
                    "reply undeliverable: " + e.getMessage(), 1, instanceId, "");
        }
    }

    private long deadline(ConsumerRecord<byte[], byte[]> record) {
        String text = header(record, HeaderNames.DEADLINE);
        if (text != null) {
            try {
                return Long.parseLong(text.trim());
            } catch (NumberFormatException e) {
                LOG.warn("request of {} has an unreadable {} header '{}'; using the pool timeout", pool.key(), HeaderNames.DEADLINE, text);
            }
        }
        return record.timestamp() + pool.timeout().toMillis();
    }

    private static String header(ConsumerRecord<byte[], byte[]> record, String name) {
        Header h = record.headers().lastHeader(name);
        return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
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
        stopRequested.countDown();
        KafkaShareConsumer<byte[], byte[]> c = wakeable;
        if (c != null) {
            c.wakeup();
        }
    }

    /** Waits until the slot has stopped its instance and closed its consumer. */
    public boolean awaitStopped(Duration timeout) throws InterruptedException {
        return stopped.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void shutDown() {
        if (consumer != null) {
            try {
                consumer.close(Duration.ofSeconds(5));
            } catch (RuntimeException e) {
                LOG.debug("closing the consumer of {}", instanceId, e);
            }
        }
        Instance i = instance;
        if (i != null) {
            i.close();
            orphans.untrack(i.pid());
        }
    }
}
