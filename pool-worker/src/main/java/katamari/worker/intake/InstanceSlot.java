package katamari.worker.intake;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
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
import katamari.worker.reply.ReplySender;
import katamari.worker.reply.ReplySender.UndeliverableReply;
import katamari.worker.supervisor.Instance;
import katamari.worker.supervisor.InstanceFailure;
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
 * One instance and the share consumer that feeds it. A slot takes a record only when its instance is alive and
 * idle ({@code max.poll.records=1}, record-limited acquisition), so records wait in Kafka, not in the agent, and a
 * free instance anywhere takes the next one. Each record is acknowledged once, after its reply is sent:
 * ACCEPT when answered, RELEASE when the instance died under it (redelivered), REJECT when attempts are spent.
 */
public final class InstanceSlot implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(InstanceSlot.class);
    private static final Duration POLL = Duration.ofSeconds(1);
    private static final long MAX_BACKOFF_MS = 10_000;

    private final PoolDefinition pool;
    private final WorkerSettings settings;
    private final KafkaSettings kafka;
    private final String instanceId;
    private final ReplySender replies;
    private final CountDownLatch stopRequested = new CountDownLatch(1);
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final CompletableFuture<Void> firstLaunch = new CompletableFuture<>();
    private volatile boolean running = true;
    private volatile KafkaShareConsumer<byte[], byte[]> consumer;
    private Instance instance;
    private int launchFailures;

    public InstanceSlot(PoolDefinition pool, WorkerSettings settings, KafkaSettings kafka, String instanceId, ReplySender replies) {
        this.pool = pool;
        this.settings = settings;
        this.kafka = kafka;
        this.instanceId = instanceId;
        this.replies = replies;
    }

    /** Completes when the slot's first instance said hello (or fails with why it could not). */
    public CompletableFuture<Void> firstLaunch() {
        return firstLaunch;
    }

    @Override
    public void run() {
        try {
            while (running) {
                if (instance == null || !instance.isAlive()) {
                    relaunch();
                    continue;
                }
                ConsumerRecords<byte[], byte[]> records;
                try {
                    records = consumer().poll(POLL);
                } catch (WakeupException e) {
                    continue;
                }
                for (ConsumerRecord<byte[], byte[]> record : records) {
                    consumer.acknowledge(record, handle(record));
                }
                if (!records.isEmpty()) {
                    consumer.commitAsync();
                }
            }
        } catch (RuntimeException e) {
            LOG.error("slot {}/{} failed", pool.key(), instanceId, e);
        } finally {
            shutDown();
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
            KafkaShareConsumer<byte[], byte[]> c = new KafkaShareConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
            c.subscribe(List.of(TopicNames.requests(pool.name(), pool.version())));
            consumer = c;
        }
        return consumer;
    }

    private void relaunch() {
        if (instance != null) {
            instance.kill(settings.killGrace());
            instance = null;
        }
        try {
            instance = Instance.launch(pool, instanceId, settings.launchTimeout());
            launchFailures = 0;
            firstLaunch.complete(null);
            LOG.debug("instance {} ready (pid {})", instance.tag(), instance.pid());
        } catch (InstanceFailure f) {
            launchFailures++;
            long backoff = Math.min(MAX_BACKOFF_MS, 100L << Math.min(launchFailures, 10));
            LOG.warn("instance {}/{} failed to launch ({} in a row), retrying in {} ms: {}{}", pool.key(), instanceId,
                    launchFailures, backoff, f.getMessage(), f.stderrTail().isEmpty() ? "" : "\nstderr tail:\n" + f.stderrTail());
            if (launchFailures == 1 && !firstLaunch.isDone()) {
                firstLaunch.completeExceptionally(f);
            }
            pause(backoff);
        }
    }

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
        KatamariError invalid = validate(request);
        if (invalid != null) {
            answer(record, id, replyTo, invalid);
            return AcknowledgeType.ACCEPT;
        }
        String callId = id != null ? id : "r-" + record.partition() + "-" + record.offset();
        CompletableFuture<ChassisMessage> answer = instance.call(new Call(callId, request.method(), request.args(), deadline));
        try {
            ChassisMessage message = answer.get(Math.max(1, deadline - System.currentTimeMillis()), TimeUnit.MILLISECONDS);
            if (message instanceof Result r) {
                answer(record, id, replyTo, r.result());
            } else {
                answer(record, id, replyTo, ((Failure) message).error());
            }
            return AcknowledgeType.ACCEPT;
        } catch (TimeoutException e) {
            // the caller has given up: answer now, then stop the instance that is still working on it
            answer(record, id, replyTo, error(ErrorCode.TIMEOUT, "no answer within the deadline; instance " + instanceId + " was stopped"));
            LOG.warn("instance {}/{} still busy at the deadline of {}; stopping it", pool.key(), instanceId, callId);
            instance.kill(settings.killGrace());
            return AcknowledgeType.ACCEPT;
        } catch (ExecutionException e) {
            InstanceFailure f = e.getCause() instanceof InstanceFailure x ? x
                    : new InstanceFailure(InstanceFailure.Reason.CRASHED, String.valueOf(e.getCause()), instance.stderrTail());
            LOG.warn("instance {}/{} failed on {} (attempt {} of {}): {}", pool.key(), instanceId, callId, delivery, pool.attempts(), f.getMessage());
            if (delivery < pool.attempts()) {
                return AcknowledgeType.RELEASE;
            }
            String why = "instance died on this request on every allowed attempt (" + delivery + "): " + f.getMessage();
            replies.deadLetter(pool.name(), pool.version(), record.key(), record.value(), record.headers(),
                    f.reason().name().toLowerCase(), delivery, instanceId, f.stderrTail());
            answer(record, id, replyTo, error(ErrorCode.INSTANCE_CRASHED, why));
            return AcknowledgeType.REJECT;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
            return AcknowledgeType.RELEASE;
        }
    }

    private KatamariError validate(Request request) {
        MethodSpec spec = instance.hello().methods().get(request.method());
        if (spec == null) {
            return error(ErrorCode.METHOD_NOT_FOUND, "pool " + pool.name() + " has no method '" + request.method()
                    + "'; it has " + new TreeSet<>(instance.hello().methods().keySet()));
        }
        Set<String> given = new TreeSet<>();
        request.args().fieldNames().forEachRemaining(given::add);
        if (!given.equals(new TreeSet<>(spec.args()))) {
            return error(ErrorCode.BAD_REQUEST, "method " + request.method() + " takes arguments " + spec.args() + "; got " + given);
        }
        return null;
    }

    private KatamariError error(ErrorCode code, String message) {
        return KatamariError.of(code, message).at(pool.name(), pool.version());
    }

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
                : Reply.success(id, (com.fasterxml.jackson.databind.JsonNode) outcome);
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

    /** Asks the slot to stop; it finishes the record in hand first. */
    public void stop() {
        running = false;
        stopRequested.countDown();
        KafkaShareConsumer<byte[], byte[]> c = consumer;
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
        if (instance != null) {
            instance.close();
        }
    }
}
