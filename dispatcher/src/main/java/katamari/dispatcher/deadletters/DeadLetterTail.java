package katamari.dispatcher.deadletters;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import katamari.config.KafkaSettings;
import katamari.topics.HeaderNames;
import katamari.topics.KafkaRecords;
import katamari.topics.TopicNames;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The last dead letters of some pool-versions, newest first, read from the end of their {@code katamari.dead.*}
 * topics (an assigned consumer without a group: reading commits nothing and moves nobody's offsets). One read for
 * all pool-versions, cached for {@link #FRESH}, so a console polling every second costs the brokers a read every
 * few seconds at most; the read is bounded by {@link #READ_BOUND}.
 */
public final class DeadLetterTail implements AutoCloseable {
    public static final int MAX_LIMIT = 100;
    private static final Duration FRESH = Duration.ofSeconds(3);
    private static final Duration READ_BOUND = Duration.ofSeconds(2);
    /** A request body is shown, not kept: longer ones are cut. */
    private static final int VALUE_CHARS = 300;

    /**
     * One dead letter.
     *
     * @param at       when the agent wrote it (the record's timestamp, epoch ms)
     * @param reason   {@code katamari-failure-reason}: why the request got no normal answer
     * @param attempts how many times it was tried
     * @param request  the request as it was produced, cut to {@value #VALUE_CHARS} characters
     */
    public record DeadLetter(String pool, String version, long at, String id, String reason, String attempts, String instance,
                             String stderrTail, String request, long offset) {}

    private final KafkaSettings kafka;
    private KafkaConsumer<byte[], byte[]> consumer;
    private List<DeadLetter> last = List.of();
    private Collection<String> lastKeys = List.of();
    private long lastNanos;

    public DeadLetterTail(KafkaSettings kafka) {
        this.kafka = kafka;
    }

    /** @param keys pool-versions as {@code pool/version}; a topic that does not exist (yet) counts as empty */
    public synchronized List<DeadLetter> newest(Collection<String> keys, int limit) {
        if (System.nanoTime() - lastNanos > FRESH.toNanos() || !lastKeys.containsAll(keys)) {
            last = read(keys);
            lastKeys = List.copyOf(keys);
            lastNanos = System.nanoTime();
        }
        return last.stream().limit(Math.min(limit, MAX_LIMIT)).toList();
    }

    private List<DeadLetter> read(Collection<String> keys) {
        List<DeadLetter> out = new ArrayList<>();
        try {
            if (consumer == null) {
                var p = kafka.clientProperties();
                p.put(ConsumerConfig.CLIENT_ID_CONFIG, "katamari-dispatcher-dead-letters");
                p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
                p.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "2000");
                p.put(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, "2000");
                p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, String.valueOf(MAX_LIMIT));
                consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
            }
            long deadline = System.nanoTime() + READ_BOUND.toNanos();
            Map<String, List<PartitionInfo>> topics = consumer.listTopics(READ_BOUND);
            List<TopicPartition> partitions = new ArrayList<>();
            for (String key : keys) {
                String[] pv = key.split("/", 2);
                for (PartitionInfo info : topics.getOrDefault(TopicNames.dead(pv[0], pv[1]), List.of())) {
                    partitions.add(new TopicPartition(info.topic(), info.partition()));
                }
            }
            if (partitions.isEmpty()) {
                return List.of();
            }
            consumer.assign(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, READ_BOUND);
            Map<TopicPartition, Long> begins = consumer.beginningOffsets(partitions, READ_BOUND);
            Map<TopicPartition, Long> remaining = new HashMap<>();
            for (TopicPartition tp : partitions) {
                long end = ends.getOrDefault(tp, 0L);
                long from = Math.max(begins.getOrDefault(tp, 0L), end - MAX_LIMIT);
                consumer.seek(tp, from);
                if (end > from) {
                    remaining.put(tp, end);
                }
            }
            while (!remaining.isEmpty() && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    out.add(letter(r));
                    TopicPartition tp = new TopicPartition(r.topic(), r.partition());
                    if (r.offset() + 1 >= remaining.getOrDefault(tp, 0L)) {
                        remaining.remove(tp);
                    }
                }
            }
        } catch (RuntimeException e) {
            // not an empty list: "no dead letters" during the very outage an operator looks at them for would lie;
            // the admin API answers 503 unavailable, and nothing is cached, so the next poll tries again
            throw new IllegalStateException("the dead-letter topics cannot be read now: " + e, e);
        }
        out.sort(Comparator.comparingLong(DeadLetter::at).reversed());
        return List.copyOf(out.subList(0, Math.min(out.size(), MAX_LIMIT)));
    }

    private static DeadLetter letter(ConsumerRecord<byte[], byte[]> r) {
        String[] pv = r.topic().substring(TopicNames.DEAD_PREFIX.length()).split("\\.", 2);
        String value = r.value() == null ? "" : new String(r.value(), StandardCharsets.UTF_8);
        return new DeadLetter(pv[0], pv.length > 1 ? pv[1] : "", r.timestamp(), text(r, HeaderNames.ID), text(r, HeaderNames.FAILURE_REASON),
                text(r, HeaderNames.FAILURE_ATTEMPTS), text(r, HeaderNames.INSTANCE), text(r, HeaderNames.FAILURE_STDERR_TAIL),
                value.length() > VALUE_CHARS ? value.substring(0, VALUE_CHARS) + "…" : value, r.offset());
    }

    private static String text(ConsumerRecord<byte[], byte[]> r, String header) {
        try {
            String v = KafkaRecords.text(r.headers(), header);
            return v == null ? "" : v;
        } catch (RuntimeException notUtf8) {
            return "";
        }
    }

    @Override
    public synchronized void close() {
        if (consumer != null) {
            consumer.close(Duration.ofSeconds(2));
        }
    }
}
