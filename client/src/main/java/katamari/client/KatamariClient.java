package katamari.client;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import katamari.config.KafkaSettings;
import katamari.topics.ErrorCode;
import katamari.topics.HeaderNames;
import katamari.topics.KafkaRecords;
import katamari.topics.KatamariError;
import katamari.topics.Reply;
import katamari.topics.Request;
import katamari.topics.RequestEnvelope;
import katamari.topics.TopicNames;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Calls pools over Kafka and waits for their replies: what the gateway does for HTTP clients, and what a worker
 * agent does for its instances' nested calls. It owns one reply topic, created at {@link #start()}, and one
 * {@link ReplyCorrelator}; {@link #isReady()} turns true once replies to it cannot be missed.
 */
public final class KatamariClient implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(KatamariClient.class);

    private enum State { NEW, STARTED, CLOSED }

    private final AtomicReference<State> state = new AtomicReference<>(State.NEW);
    private final KafkaSettings kafka;
    private final String replyTopic;
    private ReplyCorrelator correlator;
    private KafkaProducer<byte[], byte[]> producer;
    /** Fires hedge copies; a cancelled timer (the call was answered) leaves the queue at once. */
    private final ScheduledThreadPoolExecutor hedgeTimers = hedgeTimers();

    private static ScheduledThreadPoolExecutor hedgeTimers() {
        ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, r -> {
            Thread thread = new Thread(r, "hedge-timers");
            thread.setDaemon(true);
            return thread;
        });
        t.setRemoveOnCancelPolicy(true);
        return t;
    }

    /** @param replyTopic this client's own reply topic, e.g. {@link TopicNames#replies(String)} */
    public KatamariClient(KafkaSettings kafka, String replyTopic) {
        this.kafka = kafka;
        this.replyTopic = replyTopic;
    }

    public String replyTopic() {
        return replyTopic;
    }

    public void start() {
        if (!state.compareAndSet(State.NEW, State.STARTED)) {
            throw new IllegalStateException("client cannot be started more than once (state " + state.get() + ")");
        }
        createReplyTopic();
        correlator = new ReplyCorrelator(kafka, replyTopic, 1);
        correlator.start();
        Properties p = RequestPathProducer.settings(kafka.clientProperties());
        // a broker that cannot take the request fails it fast instead of holding a caller until its deadline
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "5000");
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "katamari-requests-" + replyTopic);
        producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    public boolean isReady() {
        return state.get() == State.STARTED && correlator.isReady();
    }

    /**
     * Publishes a request to {@code katamari.requests.<pool>.<version>} and returns its answer: the reply, a
     * {@code timeout} error at {@code deadlineMillis}, or {@code overloaded} if Kafka refused the request.
     *
     * @param pin the version the caller pinned, or null (informational header)
     */
    public CompletableFuture<Answer> call(String pool, String version, String id, Request request, long deadlineMillis, String pin) {
        CompletableFuture<Answer> answer = correlator.expect(id, deadlineMillis);
        ProducerRecord<byte[], byte[]> record = requestRecord(pool, version, id, request, deadlineMillis, pin, replyTopic);
        try {
            producer.send(record, (metadata, error) -> {
                if (error != null) {
                    refused(id, pool, version, error);
                }
            });
        } catch (RuntimeException e) {
            refused(id, pool, version, e);
        }
        return answer;
    }

    /**
     * When to send a hedge copy of a call.
     *
     * @param afterMillis how long after the first copy, if no reply has come by then
     * @param mayHedge    asked when the time comes (e.g. a cap on the share of hedged calls); false sends nothing
     * @param sent        told when the copy goes out (e.g. to count it)
     */
    public record Hedge(long afterMillis, BooleanSupplier mayHedge, Runnable sent) {
        public Hedge {
            if (afterMillis <= 0) {
                throw new IllegalArgumentException("a hedge delay must be positive, was " + afterMillis);
            }
        }
    }

    /** The correlation id of a call's hedge copy: its own id, so that its reply says which copy answered. */
    public static String hedgeId(String id) {
        return id + HEDGE_SUFFIX;
    }

    static final String HEDGE_SUFFIX = ".hedge";

    /**
     * {@link #call} that, when no reply has come {@link Hedge#afterMillis} after the request went out, sends one
     * more copy under {@link #hedgeId} (never at or past the deadline). The first reply of either copy answers; the
     * other is dropped as late (it is not cancelled: both copies run). The answer's {@link Answer#hedging} says
     * whether a copy went out and which one answered; its reply carries {@code id} either way.
     */
    public CompletableFuture<Answer> call(String pool, String version, String id, Request request, long deadlineMillis, String pin, Hedge hedge) {
        if (hedge == null) {
            return call(pool, version, id, request, deadlineMillis, pin);
        }
        String copyId = hedgeId(id);
        java.util.concurrent.atomic.AtomicBoolean hedged = new java.util.concurrent.atomic.AtomicBoolean();
        CompletableFuture<Answer> answer = call(pool, version, id, request, deadlineMillis, pin);
        ScheduledFuture<?> timer = hedgeTimers.schedule(() -> {
            if (answer.isDone() || System.currentTimeMillis() >= deadlineMillis || !hedge.mayHedge().getAsBoolean()) {
                return;
            }
            hedged.set(true);
            if (!correlator.alsoExpect(copyId, id)) {
                return; // answered meanwhile; nothing went out (reported as sent-first-won, which it nearly was)
            }
            hedge.sent().run();
            try {
                producer.send(requestRecord(pool, version, copyId, request, deadlineMillis, pin, replyTopic), (metadata, error) -> {
                    if (error != null) {
                        LOG.info("hedge copy {} to {}/{} could not be queued: {}", copyId, pool, version, error.toString());
                    }
                });
            } catch (RuntimeException e) {
                LOG.info("hedge copy {} to {}/{} could not be queued: {}", copyId, pool, version, e.toString());
            }
        }, hedge.afterMillis(), TimeUnit.MILLISECONDS);
        return answer.thenApply(a -> {
            timer.cancel(false);
            if (!hedged.get()) {
                return a;
            }
            Reply r = a.reply();
            if (copyId.equals(r.id())) { // the caller knows its call by its own id
                r = r.isError() ? Reply.failure(id, r.error()) : Reply.success(id, r.result());
            }
            // an answer the client made itself (timeout, shutdown) names no pool: neither copy won
            Answer.Hedging how = a.pool() == null ? Answer.Hedging.SENT_NONE_WON
                    : copyId.equals(a.reply().id()) ? Answer.Hedging.SENT_HEDGE_WON : Answer.Hedging.SENT_FIRST_WON;
            return new Answer(r, a.pool(), a.version(), how);
        });
    }

    /** The correlation id of copy {@code i} (1-based) of a majority request. */
    public static String copyId(String id, int i) {
        return id + ".q" + i;
    }

    /**
     * A majority request: publishes {@code copies} copies of the request at once, copy i under {@link #copyId} with
     * header {@code katamari-copy: i/copies} (agents run the copies on distinct instances where they can), and
     * answers as soon as a majority of them gave equal answers, or no majority is possible any more ({@code
     * no_quorum}, or {@code timeout} at the deadline; {@link Quorum}). Copies answering after that are dropped as
     * late. The answer's reply carries {@code id}; {@link Answer#quorum()} says how many agreed.
     */
    public CompletableFuture<Answer> quorum(String pool, String version, String id, Request request, long deadlineMillis, String pin, int copies) {
        Quorum tally = new Quorum(id, copies);
        CompletableFuture<Answer> decided = new CompletableFuture<>();
        List<String> ids = java.util.stream.IntStream.rangeClosed(1, copies).mapToObj(i -> copyId(id, i)).toList();
        for (String copy : ids) {
            correlator.expect(copy, deadlineMillis).thenAccept(a -> {
                Answer d = tally.add(a);
                if (d != null && decided.complete(d)) {
                    ids.forEach(correlator::drop); // the rest are late now: their replies are dropped
                }
            });
        }
        for (int i = 1; i <= copies; i++) {
            String copy = ids.get(i - 1);
            ProducerRecord<byte[], byte[]> record = requestRecord(pool, version, copy, request, deadlineMillis, pin, replyTopic);
            record.headers().add(HeaderNames.COPY, (i + "/" + copies).getBytes(java.nio.charset.StandardCharsets.UTF_8));
            try {
                producer.send(record, (metadata, error) -> {
                    if (error != null) {
                        refused(copy, pool, version, error);
                    }
                });
            } catch (RuntimeException e) {
                refused(copy, pool, version, e);
            }
        }
        return decided;
    }

    /**
     * Publishes a request that wants no reply (no {@code katamari-reply-to}: the agent runs it and answers no one; a
     * failure is only logged by the agent). The future completes once Kafka has the request, or fails if it refused it.
     */
    public CompletableFuture<Void> send(String pool, String version, String id, Request request, long deadlineMillis, String pin) {
        CompletableFuture<Void> sent = new CompletableFuture<>();
        try {
            producer.send(requestRecord(pool, version, id, request, deadlineMillis, pin, null), (metadata, error) -> {
                if (error != null) {
                    sent.completeExceptionally(error);
                } else {
                    sent.complete(null);
                }
            });
        } catch (RuntimeException e) {
            sent.completeExceptionally(e);
        }
        return sent;
    }

    /** A request record with DESIGN.md's headers; no {@code katamari-reply-to} when {@code replyTo} is null. */
    private static ProducerRecord<byte[], byte[]> requestRecord(String pool, String version, String id, Request request,
                                                                long deadlineMillis, String pin, String replyTo) {
        RequestEnvelope envelope = replyTo == null ? RequestEnvelope.oneWay(id, deadlineMillis, pin, request)
                : RequestEnvelope.call(id, replyTo, deadlineMillis, pin, request);
        return KafkaRecords.toRecord(TopicNames.requests(pool, version), envelope);
    }

    private void refused(String id, String pool, String version, Exception e) {
        correlator.fail(id, KatamariError.of(ErrorCode.OVERLOADED, "the request could not be queued: " + e.getMessage()).at(pool, version));
    }

    /**
     * The reply topic must exist before the client is of any use. A broker set that is up but slow to answer (a
     * cluster still forming, a box under load) times the admin call out after a minute: that is tried again, twice,
     * instead of failing the role's start; any other failure (a refused setting, no broker at all) fails at once.
     */
    private void createReplyTopic() {
        for (int attempt = 1; ; attempt++) {
            try {
                createTopic(kafka, replyTopic);
                return;
            } catch (IllegalStateException e) {
                if (attempt >= REPLY_TOPIC_ATTEMPTS || !(e.getCause() instanceof org.apache.kafka.common.errors.TimeoutException)) {
                    throw e;
                }
                LOG.warn("{} (attempt {} of {}); trying again", e.getMessage(), attempt, REPLY_TOPIC_ATTEMPTS);
            }
        }
    }

    private static final int REPLY_TOPIC_ATTEMPTS = 3;

    /**
     * Creates a one-partition topic (a reply topic: the broker does not auto-create topics) with the configured
     * replication factor. @return false when it already existed, which is fine
     */
    public static boolean createTopic(KafkaSettings kafka, String topic) {
        return createTopic(kafka, topic, Map.of());
    }

    /**
     * {@link #createTopic(KafkaSettings, String)} with topic-level {@code configs}, e.g. the timestamp type, over
     * {@link KafkaSettings#topicConfigs()}.
     */
    public static boolean createTopic(KafkaSettings kafka, String topic, Map<String, String> configs) {
        try (Admin admin = Admin.create(kafka.clientProperties())) {
            Map<String, String> all = new HashMap<>(kafka.topicConfigs());
            all.putAll(configs);
            admin.createTopics(List.of(new NewTopic(topic, 1, kafka.replicationFactor()).configs(all))).all().get();
            return true;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof TopicExistsException) {
                return false;
            }
            throw new IllegalStateException("cannot create topic " + topic + ": " + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating " + topic, e);
        }
    }

    @Override
    public void close() {
        if (state.getAndSet(State.CLOSED) != State.STARTED) {
            return;
        }
        hedgeTimers.shutdownNow();
        correlator.close();
        producer.close(Duration.ofSeconds(5));
    }
}
