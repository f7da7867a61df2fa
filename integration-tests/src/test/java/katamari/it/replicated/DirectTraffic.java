package katamari.it.replicated;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import katamari.client.KatamariClient;
import katamari.config.KafkaSettings;
import katamari.topics.HeaderNames;
import katamari.topics.TopicNames;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Load straight through Kafka, as any Kafka client makes it: request records on {@code katamari.requests.echo.v1}
 * with an id, a reply topic of its own and a deadline. Because it reads its reply topic and the pool-version's
 * dead-letter topic itself, it sees what HTTP hides: duplicate replies, and whether every request got a reply or a
 * dead letter ("nothing lost").
 */
final class DirectTraffic implements AutoCloseable {
    private final KafkaSettings kafka;
    private final String replyTopic = "it-direct-" + UUID.randomUUID().toString().substring(0, 8);
    private final Duration timeout;
    private final KafkaProducer<byte[], byte[]> producer;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Map<String, AtomicInteger> replies = new ConcurrentHashMap<>();
    private final Set<String> dead = ConcurrentHashMap.newKeySet();
    private final Map<String, Long> deadlines = new ConcurrentHashMap<>();
    private final Map<String, CompletableFuture<Void>> resolved = new ConcurrentHashMap<>();
    private final AtomicLong sendFailed = new AtomicLong();
    private final List<Thread> threads = new ArrayList<>();
    private final CountDownLatch positioned = new CountDownLatch(1);
    /** When each worker last replied, by the instance header of its replies (an instance id starts with its worker's). */
    private final Map<String, Long> lastReplyNanos = new ConcurrentHashMap<>();

    /** What happened to every request this client sent. */
    record Tally(long sent, long replied, long duplicates, long deadLettered, long unresolved, long sendFailed) {}

    /** @param kafka the cluster, with the replication factor its reply topic gets */
    DirectTraffic(KafkaSettings kafka, int lanes, Duration timeout) {
        this.kafka = kafka;
        this.timeout = timeout;
        KatamariClient.createTopic(kafka, replyTopic);
        Properties p = kafka.clientProperties();
        p.put("acks", "all");
        p.put("enable.idempotence", "true");
        p.put("linger.ms", "0");
        p.put("delivery.timeout.ms", String.valueOf(timeout.toMillis()));
        p.put("request.timeout.ms", "5000");
        producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
        Thread reader = new Thread(this::read, "direct-traffic-reader");
        reader.setDaemon(true);
        threads.add(reader);
        for (int i = 0; i < lanes; i++) {
            int lane = i;
            Thread t = new Thread(() -> lane(lane), "direct-traffic-" + i);
            t.setDaemon(true);
            threads.add(t);
        }
    }

    /** Starts the reader, and the lanes once it reads from the end of both topics: no early answer goes unseen. */
    DirectTraffic start() {
        threads.get(0).start();
        try {
            if (!positioned.await(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the reply reader did not reach the end of " + replyTopic + " within 30 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        threads.subList(1, threads.size()).forEach(Thread::start);
        return this;
    }

    private void lane(int lane) {
        for (long n = 0; running.get(); n++) {
            String id = "d" + lane + "-" + n + "-" + replyTopic;
            long deadline = System.currentTimeMillis() + timeout.toMillis();
            CompletableFuture<Void> done = new CompletableFuture<>();
            resolved.put(id, done);
            deadlines.put(id, deadline);
            ProducerRecord<byte[], byte[]> r = new ProducerRecord<>(TopicNames.requests("echo", "v1"), null,
                    ("{\"method\":\"echo\",\"args\":{\"text\":\"" + id + "\"}}").getBytes(StandardCharsets.UTF_8));
            r.headers().add(HeaderNames.ID, bytes(id)).add(HeaderNames.REPLY_TO, bytes(replyTopic))
                    .add(HeaderNames.DEADLINE, bytes(String.valueOf(deadline)));
            try {
                producer.send(r).get();
            } catch (Exception e) {
                // the client knows this one was never accepted: not Katamari's to answer
                sendFailed.incrementAndGet();
                resolved.remove(id);
                deadlines.remove(id);
                continue;
            }
            try {
                done.get(timeout.toMillis() + 2_000, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                return;
            } catch (Exception e) {
                // unresolved for now; the tally counts it unless its answer comes later
            }
        }
    }

    private void read() {
        Properties p = kafka.clientProperties();
        p.put("enable.auto.commit", "false");
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> parts = List.of(new TopicPartition(replyTopic, 0), new TopicPartition(TopicNames.dead("echo", "v1"), 0));
            c.assign(parts);
            c.seekToEnd(parts);
            parts.forEach(c::position); // fixes the starting point before the first request goes out
            positioned.countDown();
            while (running.get() || !allResolved()) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(100))) {
                    String id = header(r, HeaderNames.ID);
                    if (id == null || !deadlines.containsKey(id)) {
                        continue;
                    }
                    if (r.topic().equals(replyTopic)) {
                        replies.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
                        String instance = header(r, HeaderNames.INSTANCE);
                        int cut = instance == null ? -1 : instance.lastIndexOf(INSTANCE_SUFFIX);
                        if (cut > 0) {
                            lastReplyNanos.put(instance.substring(0, cut), System.nanoTime());
                        }
                    } else {
                        dead.add(id);
                    }
                    CompletableFuture<Void> f = resolved.get(id);
                    if (f != null) {
                        f.complete(null);
                    }
                }
                if (!running.get() && System.currentTimeMillis() > lastDeadline() + 5_000) {
                    return;
                }
            }
        } catch (RuntimeException e) {
            if (running.get()) {
                throw e;
            }
        }
    }

    private boolean allResolved() {
        return resolved.values().stream().allMatch(CompletableFuture::isDone);
    }

    private long lastDeadline() {
        return deadlines.values().stream().mapToLong(Long::longValue).max().orElse(0);
    }

    /** Instance ids are {@code <worker>-echo-v1-<n>}. */
    private static final String INSTANCE_SUFFIX = "-echo-v1-";

    /** Whether {@code worker} replied to one of these requests after {@code sinceNanos} ({@link System#nanoTime}). */
    boolean answeredBy(String worker, long sinceNanos) {
        Long at = lastReplyNanos.get(worker);
        return at != null && at - sinceNanos > 0;
    }

    Tally tally() {
        long replied = replies.size();
        long duplicates = replies.values().stream().mapToLong(n -> n.get() - 1L).sum();
        long now = System.currentTimeMillis();
        long unresolved = resolved.entrySet().stream()
                .filter(e -> !e.getValue().isDone() && deadlines.getOrDefault(e.getKey(), Long.MAX_VALUE) < now).count();
        return new Tally(deadlines.size(), replied, duplicates, dead.stream().filter(id -> !replies.containsKey(id)).count(),
                unresolved, sendFailed.get());
    }

    /** Stops sending and waits for the answers of what was sent (their deadlines, plus a little). */
    @Override
    public void close() {
        running.set(false);
        for (Thread t : threads) {
            try {
                t.join(timeout.toMillis() + 10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        producer.close(Duration.ofSeconds(5));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }
}
