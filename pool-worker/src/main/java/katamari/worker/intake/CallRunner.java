package katamari.worker.intake;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.InstantSource;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import katamari.chassis.protocol.ChassisMessage;
import katamari.chassis.protocol.ChassisMessage.Call;
import katamari.chassis.protocol.ChassisMessage.Failure;
import katamari.chassis.protocol.ChassisMessage.MethodSpec;
import katamari.chassis.protocol.ChassisMessage.Result;
import katamari.config.LogKeys;
import katamari.config.PoolDefinition;
import katamari.config.WorkerSettings;
import katamari.topics.ErrorCode;
import katamari.topics.KafkaRecords;
import katamari.topics.KatamariError;
import katamari.topics.MalformedRequestException;
import katamari.topics.Reply;
import katamari.topics.Request;
import katamari.topics.RequestEnvelope;
import katamari.worker.cancel.Cancels;
import katamari.worker.cancel.Cancels.Stage;
import katamari.worker.reply.ReplySender;
import katamari.worker.supervisor.Instance;
import katamari.worker.supervisor.InstanceFailure;
import katamari.worker.supervisor.InstanceFailure.Reason;
import katamari.worker.supervisor.Supervisor;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.MDC;
import org.slf4j.LoggerFactory;

/**
 * What a record means and how it is answered: reads its envelope, refuses what cannot run (not a request, past its
 * deadline, an unknown method or arguments), writes its call to the instance, and turns the instance's answer (or
 * its failure, or the deadline) into a reply and an acknowledgement: ACCEPT when answered, RELEASE when the instance
 * died under it (redelivered to any instance), REJECT when its attempts are spent (then dead-lettered). A record whose
 * id was cancelled ({@link Cancels}) is acknowledged ACCEPT without a reply: never written to the instance if it had
 * not started, its answer dropped if it had (and, with {@code cancelRunning}, its instance killed as at a deadline).
 *
 * <p>Stateless between records, so any thread acting for the slot may use it: the slot's own or the instance's
 * stdout reader ({@link Relay}). Each answer returns the write it started, and a record is acknowledged only once
 * its writes are done ({@link #complete}).
 */
final class CallRunner {
    private static final Logger LOG = LoggerFactory.getLogger(CallRunner.class);
    private static final CompletableFuture<Void> NOTHING_WRITTEN = CompletableFuture.completedFuture(null);

    /** How to acknowledge a record, once {@code written} (its reply, its dead letter) is done. */
    record Outcome(AcknowledgeType ack, CompletableFuture<Void> written) {
        static Outcome of(AcknowledgeType ack) {
            return new Outcome(ack, NOTHING_WRITTEN);
        }
    }

    private final PoolDefinition pool;
    private final WorkerSettings settings;
    private final ReplySender replies;
    private final Supervisor supervisor;
    private final Cancels cancels;
    private final InstantSource clock;
    private final AnswerStore answers;

    CallRunner(PoolDefinition pool, WorkerSettings settings, ReplySender replies, Supervisor supervisor, Cancels cancels,
               InstantSource clock, AnswerStore answers) {
        this.pool = pool;
        this.answers = answers;
        this.settings = settings;
        this.replies = replies;
        this.supervisor = supervisor;
        this.cancels = cancels;
        this.clock = clock;
    }

    /**
     * Checks the record and writes its call to {@code i}. A record answered without the instance (not a request,
     * deadline already passed, unknown method) is answered and completed here, and null returned; so is one the
     * agent itself failed on (released, and the instance killed: a fault of ours must not end the slot).
     */
    RunningCall begin(Work work, Instance i) {
        try {
            return beginOrAnswer(work, i);
        } catch (RuntimeException e) {
            complete(work, agentFault(work, e));
            return null;
        }
    }

    /** Waits for the answer of {@code r}, replies, and completes its record. */
    void finish(RunningCall r) {
        MDC.put(LogKeys.REQUEST_ID, r.callId()); // the gateway's request id when a gateway sent it
        try {
            Outcome outcome;
            try {
                outcome = awaitAnswer(r);
            } catch (RuntimeException e) {
                outcome = agentFault(r.work(), e);
            } finally {
                if (r.stop() != null) {
                    cancels.finished(r.id(), r.stop());
                }
            }
            complete(r.work(), outcome);
        } finally {
            MDC.remove(LogKeys.REQUEST_ID);
        }
    }

    /** Gives {@code work} back unstarted: another instance takes it. */
    void release(Work work) {
        complete(work, Outcome.of(AcknowledgeType.RELEASE));
    }

    private RunningCall beginOrAnswer(Work work, Instance i) {
        ConsumerRecord<byte[], byte[]> record = work.record;
        RequestEnvelope envelope;
        try {
            envelope = KafkaRecords.fromRecord(record);
        } catch (MalformedRequestException e) {
            complete(work, new Outcome(AcknowledgeType.ACCEPT, refuse(record, e)));
            return null;
        }
        if (cancels.isCancelled(envelope.id())) {
            return skipped(work, envelope.id(), Stage.WAITING);
        }
        long deadline = envelope.deadlineOr(poolDeadline(record));
        Request request = envelope.request();
        KatamariError early = clock.millis() >= deadline
                ? error(ErrorCode.TIMEOUT, "the deadline passed before an instance was free")
                : validate(i, request);
        if (early != null) {
            complete(work, new Outcome(AcknowledgeType.ACCEPT, answer(record, envelope.id(), envelope.replyTo(), deadline, early)));
            return null;
        }
        String callId = envelope.id() != null ? envelope.id() : "r-" + record.partition() + "-" + record.offset();
        CompletableFuture<ChassisMessage> answer = i.call(new Call(callId, request.method(), request.args(), deadline));
        supervisor.served();
        int delivery = record.deliveryCount().map(Short::intValue).orElse(1);
        Runnable stop = null;
        if (pool.cancelsRunning() && envelope.id() != null) {
            stop = () -> stop(i, callId);
            cancels.whileRunning(envelope.id(), stop); // after the call is written: a cancel heard meanwhile stops it at once
        }
        return new RunningCall(work, envelope.id(), envelope.replyTo(), callId, deadline, delivery, i, answer, request, stop);
    }

    /** Its caller cancelled it: acknowledged and counted, and no reply (the canceller has answered its caller itself). */
    private RunningCall skipped(Work work, String id, Stage stage) {
        cancels.counted(pool.key(), stage);
        LOG.debug("request {} of {} was cancelled; acknowledged without running it", id, pool.key());
        complete(work, Outcome.of(AcknowledgeType.ACCEPT));
        return null;
    }

    /**
     * cancelRunning: kills the instance if it still works on {@code callId} (not one written ahead of it, which would
     * kill the call in front). On a thread of its own, since the kill waits out the grace period; the slot then
     * finishes the call as cancelled and replaces the instance, as after a deadline.
     */
    private void stop(Instance i, String callId) {
        if (!i.runs(callId)) {
            return; // answered meanwhile, or written ahead: its answer is dropped when it comes
        }
        LOG.info("request {} of {} was cancelled while instance {} ran it; stopping the instance (cancelRunning)", callId, pool.key(),
                supervisor.instanceId());
        Thread killer = new Thread(() -> i.kill(settings.killGrace(), Reason.KILLED, "its request " + callId + " was cancelled"),
                "cancel-" + supervisor.instanceId());
        killer.setDaemon(true);
        killer.start();
    }

    /** A record that is not a request: answered {@code bad_request} where the caller can be reached, else dead-lettered or logged. */
    private CompletableFuture<Void> refuse(ConsumerRecord<byte[], byte[]> record, MalformedRequestException e) {
        if (e.canReply()) {
            return answer(record, e.id(), e.replyTo(), poolDeadline(record), error(ErrorCode.BAD_REQUEST, e.getMessage()));
        }
        if (e.wantsReply()) {
            return replies.deadLetter(pool.name(), pool.version(), record.key(), record.value(), record.headers(),
                    "a reply was asked for but cannot be sent: " + e.getMessage(), 1, supervisor.instanceId(), "");
        }
        LOG.info("fire-and-forget request of {} refused: {}", pool.key(), e.getMessage());
        return NOTHING_WRITTEN;
    }

    private Outcome awaitAnswer(RunningCall r) {
        ConsumerRecord<byte[], byte[]> record = r.work().record;
        Instance i = r.instance();
        try {
            ChassisMessage message = r.answer().get(Math.max(1, r.deadline() - clock.millis()), TimeUnit.MILLISECONDS);
            if (message instanceof Result res) {
                // every successful answer, whoever asked (gateway or any Kafka client), so direct callers fill the cache too
                answers.store(pool, r.request().method(), r.request().args(), res.result());
            }
            if (cancels.isCancelled(r.id())) {
                cancels.counted(pool.key(), Stage.RUNNING); // it ran to its end; nobody wants the answer
                supervisor.recycleIfDue(i);
                return Outcome.of(AcknowledgeType.ACCEPT);
            }
            CompletableFuture<Void> written = answer(record, r.id(), r.replyTo(), r.deadline(),
                    message instanceof Result res ? res.result() : ((Failure) message).error());
            supervisor.recycleIfDue(i);
            return new Outcome(AcknowledgeType.ACCEPT, written);
        } catch (TimeoutException e) {
            // the caller has given up: answer now, then stop the instance that is still working on it
            CompletableFuture<Void> written = answer(record, r.id(), r.replyTo(), r.deadline(),
                    error(ErrorCode.TIMEOUT, "no answer within the deadline; instance " + supervisor.instanceId() + " was stopped"));
            LOG.warn("instance {} still busy at the deadline of {}; stopping it (SIGTERM, {} ms grace, SIGKILL)",
                    supervisor.instanceId(), r.callId(), settings.killGrace().toMillis());
            i.kill(settings.killGrace(), Reason.KILLED, "still busy at the request's deadline");
            return new Outcome(AcknowledgeType.ACCEPT, written);
        } catch (ExecutionException e) {
            if (cancels.isCancelled(r.id())) {
                cancels.counted(pool.key(), Stage.RUNNING); // killed for its cancel (or died anyway): not tried again
                return Outcome.of(AcknowledgeType.ACCEPT);
            }
            return failed(r, e.getCause() instanceof InstanceFailure x ? x
                    : new InstanceFailure(Reason.CRASHED, String.valueOf(e.getCause()), i.stderrTail()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            supervisor.stop();
            return Outcome.of(AcknowledgeType.RELEASE);
        }
    }

    /** The instance ended under {@code r}: another try, or (attempts spent) a dead letter and {@code instance_crashed}. */
    private Outcome failed(RunningCall r, InstanceFailure f) {
        if (f.reason() == Reason.NOT_STARTED || (supervisor.stopping() && f.reason() == Reason.KILLED)) {
            // never started (written ahead), or killed by our own shutdown: another instance takes it
            return Outcome.of(AcknowledgeType.RELEASE);
        }
        LOG.warn("instance {} failed on {} (attempt {} of {}): {}", supervisor.instanceId(), r.callId(), r.delivery(), pool.attempts(), f.getMessage());
        if (r.delivery() < pool.attempts()) {
            return Outcome.of(AcknowledgeType.RELEASE);
        }
        ConsumerRecord<byte[], byte[]> record = r.work().record;
        CompletableFuture<Void> dead = replies.deadLetter(pool.name(), pool.version(), record.key(), record.value(), record.headers(),
                f.reason().name().toLowerCase(), r.delivery(), supervisor.instanceId(), f.stderrTail());
        CompletableFuture<Void> answered = answer(record, r.id(), r.replyTo(), r.deadline(), error(ErrorCode.INSTANCE_CRASHED,
                "the instance died on this request on every allowed attempt (" + r.delivery() + "): " + f.getMessage()));
        return new Outcome(AcknowledgeType.REJECT, dead.thenCombine(answered, (a, b) -> null));
    }

    private Outcome agentFault(Work work, RuntimeException e) {
        LOG.error("slot {} failed handling a record at offset {}; releasing it", supervisor.instanceId(), work.record.offset(), e);
        supervisor.kill(Reason.KILLED, "the agent failed while it had a request");
        return Outcome.of(AcknowledgeType.RELEASE);
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
        return mismatch.map(m -> error(ErrorCode.BAD_REQUEST, "method " + request.method() + " " + m)).orElse(null);
    }

    private KatamariError error(ErrorCode code, String message) {
        return KatamariError.of(code, message).at(pool.name(), pool.version());
    }

    /** A request without a deadline of its own has the pool's timeout from when it was produced. */
    private long poolDeadline(ConsumerRecord<byte[], byte[]> record) {
        return record.timestamp() + pool.timeout().toMillis();
    }

    /**
     * Sends {@code outcome} (a result, a {@link JsonNode}, or a {@link KatamariError}) to the caller.
     *
     * @return the reply's write; done at once when nobody waits for a reply
     */
    private CompletableFuture<Void> answer(ConsumerRecord<byte[], byte[]> record, String id, String replyTo, long deadline, Object outcome) {
        if (replyTo == null) {
            if (outcome instanceof KatamariError e) {
                LOG.info("fire-and-forget request of {} failed: {} {}", pool.key(), e.code(), e.message());
            }
            return NOTHING_WRITTEN;
        }
        Reply reply = outcome instanceof KatamariError e
                ? Reply.failure(id, e.pool() == null ? e.at(pool.name(), pool.version()) : e)
                : Reply.success(id, (JsonNode) outcome);
        return replies.reply(replyTo, reply, pool.name(), pool.version(), supervisor.instanceId(), record, deadline);
    }

    /**
     * The slot moves on while the reply travels; the record is acknowledged once the reply (or its dead letter) is
     * written, which during a broker outage may take until the request's deadline and beyond (ReplySender): its
     * feeder renews the lock meanwhile, and no slot waits for it.
     */
    private static void complete(Work work, Outcome outcome) {
        if (outcome.written().isDone()) {
            work.complete(outcome.ack());
        } else {
            outcome.written().thenRun(() -> work.complete(outcome.ack()));
        }
    }
}
