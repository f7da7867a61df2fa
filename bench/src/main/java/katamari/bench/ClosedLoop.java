package katamari.bench;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.function.BiFunction;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.record.TimestampType;

/**
 * A closed loop over Kafka: {@code concurrency} requests outstanding, each reply sends the next one. One thread
 * drives it (producer sends are asynchronous), so the client costs little next to what it measures. Replies are
 * matched by record key; a reply whose value carries an {@code "error"} member counts as an error.
 */
final class ClosedLoop {
    record Result(double rps, Latencies latencies, long errors, Stragglers stragglers) {
        Result(double rps, Latencies latencies, long errors) {
            this(rps, latencies, errors, null);
        }

        void print(String label, int run) {
            // p99.9 and max show stragglers that p99 hides: at concurrency 32 a few slow requests cost throughput
            System.out.printf("  %-34s run %d: %.0f req/s p50=%.3f p99=%.3f p99.9=%.3f max=%.3f ms errors=%d%s%n", label, run, rps,
                    latencies.percentileMs(50), latencies.percentileMs(99), latencies.percentileMs(99.9), latencies.percentileMs(100), errors,
                    stragglers == null ? "" : stragglers.describe());
        }
    }

    /**
     * Where the requests slower than {@link #STRAGGLER_MS} lost their time, split at the reply record's timestamp (the
     * replying producer's send, or the broker's append on a LogAppendTime topic; one clock on one box): before it,
     * the request's way in, the work and (append) the reply's produce; after it, the rest of the reply's way back.
     * Medians over those requests, in ms.
     */
    record Stragglers(int count, boolean appendTime, double toReplyMs, double replyToReceivedMs) {
        String describe() {
            String at = appendTime ? "appended" : "created";
            return count == 0 ? "" : String.format(" | %d over %d ms: sent->reply %s %.0f ms, ->received %.0f ms", count, STRAGGLER_MS, at,
                    toReplyMs, replyToReceivedMs);
        }
    }

    private static final int STRAGGLER_MS = 100;

    /** When a request left: {@code nanos} for its latency, {@code epochMs} to compare with the reply's timestamp. */
    private record Sent(long nanos, long epochMs) {
    }

    private final String bootstrap;
    private final String replyTopic;
    private final BiFunction<String, Long, ProducerRecord<byte[], byte[]>> request;

    /** @param request builds the request record for a correlation id (also its key) and its send time in epoch ms */
    ClosedLoop(String bootstrap, String replyTopic, BiFunction<String, Long, ProducerRecord<byte[], byte[]>> request) {
        this.bootstrap = bootstrap;
        this.replyTopic = replyTopic;
        this.request = request;
    }

    /** Told of every reply matched to a request of this loop, on the loop's thread. */
    interface ReplyListener {
        void reply(String instance, long nanos);
    }

    private final Set<String> instances = new HashSet<>();
    private long seq;
    private volatile ReplyListener listener = (instance, nanos) -> { };
    private volatile boolean stopRequested;

    /** Set before {@link #run}: who answered each reply, as it arrives (the scale-out bench's per-worker figures). */
    ClosedLoop onReply(ReplyListener l) {
        this.listener = l;
        return this;
    }

    /** Ends a {@link #run} before its duration (its requests/s are then meaningless), and any later one; from any thread. */
    void stop() {
        stopRequested = true;
    }

    /** The {@code katamari-instance} headers seen on replies so far (empty for the raw floors). */
    Set<String> instancesSeen() {
        return instances;
    }

    Result run(int concurrency, Duration warmup, Duration duration) {
        Properties cp = new Properties();
        cp.put("bootstrap.servers", bootstrap);
        try (KafkaProducer<byte[], byte[]> producer = KafkaFloor.producer(bootstrap, "bench-closed-loop");
             KafkaConsumer<byte[], byte[]> consumer = KafkaFloor.replyConsumer(cp, replyTopic, true)) {
            Map<String, Sent> sentAt = new HashMap<>();
            List<Long> toReply = new ArrayList<>();
            List<Long> toReceived = new ArrayList<>();
            boolean appendTime = false;
            Runnable sendNext = () -> {
                String id = "c" + seq++; // unique across runs of this loop: late replies of a previous run are ignored
                long nowMs = System.currentTimeMillis();
                sentAt.put(id, new Sent(System.nanoTime(), nowMs));
                producer.send(request.apply(id, nowMs));
            };
            Latencies latencies = new Latencies(5_000_000);
            long errors = 0;
            long done = 0;
            long start = System.nanoTime();
            long measureFrom = start + warmup.toNanos();
            long end = measureFrom + duration.toNanos();
            long lastReply = start;
            for (int i = 0; i < concurrency; i++) {
                sendNext.run();
            }
            while (System.nanoTime() < end && !stopRequested) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(20))) {
                    Sent sent = r.key() == null ? null : sentAt.remove(new String(r.key(), StandardCharsets.UTF_8));
                    if (sent == null) {
                        continue;
                    }
                    long t0 = sent.nanos();
                    long now = System.nanoTime();
                    lastReply = now;
                    Header instance = r.headers().lastHeader("katamari-instance");
                    if (instance != null) {
                        String id = new String(instance.value(), StandardCharsets.UTF_8);
                        instances.add(id);
                        listener.reply(id, now);
                    }
                    if (now >= measureFrom && now <= end) {
                        done++; // throughput: every completion inside the window
                        if (t0 >= measureFrom) {
                            latencies.add(now - t0); // latency: requests wholly inside it
                            if (now - t0 > STRAGGLER_MS * 1_000_000L) {
                                toReply.add(r.timestamp() - sent.epochMs());
                                appendTime = r.timestampType() == TimestampType.LOG_APPEND_TIME;
                                toReceived.add(System.currentTimeMillis() - r.timestamp());
                            }
                        }
                        if (new String(r.value(), StandardCharsets.UTF_8).contains("\"error\"")) {
                            errors++;
                        }
                    }
                    if (now < end) {
                        sendNext.run();
                    }
                }
                if (System.nanoTime() - lastReply > Duration.ofSeconds(30).toNanos()) {
                    throw new IllegalStateException("no reply on " + replyTopic + " for 30 s (" + sentAt.size() + " outstanding)");
                }
            }
            return new Result(done / (duration.toNanos() / 1e9), latencies, errors,
                    new Stragglers(toReply.size(), appendTime, Bench.median(toReply.stream().mapToDouble(Long::doubleValue).toArray()),
                    Bench.median(toReceived.stream().mapToDouble(Long::doubleValue).toArray())));
        }
    }
}
