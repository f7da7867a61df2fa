package katamari.worker.intake;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.MockShareConsumer;
import org.apache.kafka.clients.consumer.ShareConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;

/**
 * A share group for {@link PoolIntake}'s consumers, on Kafka's {@link MockShareConsumer}: records wait in one queue
 * that every consumer fetches from, renewed records come back on the next poll (KIP-1222), and, like the real
 * consumer in explicit mode, a poll throws while a record of the last one has no acknowledgement.
 */
final class ShareGroupFake implements PoolIntake.ShareConsumers {
    record Ack(int consumer, long offset, AcknowledgeType type) {}

    private final String topic;
    private final LinkedBlockingQueue<ConsumerRecord<byte[], byte[]>> records = new LinkedBlockingQueue<>();
    final List<Consumer> consumers = new CopyOnWriteArrayList<>();
    final List<Ack> acks = new CopyOnWriteArrayList<>();
    final AtomicReference<RuntimeException> failNextCommitSync = new AtomicReference<>();
    /** While set, the broker is unreachable: every poll and every new consumer fails with it. */
    volatile RuntimeException down;
    /** Renewed records come back one per poll, as partitions led by different brokers do. */
    volatile boolean renewalsOnePerPoll;
    /** The share group's record lock; a feeder renews at half of it, and a renewal's poll may bring new records. */
    volatile int lockTimeoutMs = 1000;
    private long nextOffset;

    ShareGroupFake(String topic) {
        this.topic = topic;
    }

    synchronized long add(String value) {
        long offset = nextOffset++;
        records.add(new ConsumerRecord<>(topic, 0, offset, null, value.getBytes(StandardCharsets.UTF_8)));
        return offset;
    }

    /** A request as a client sends it: DESIGN.md's headers on {@code value}. */
    synchronized long add(String value, org.apache.kafka.common.header.Header... headers) {
        long offset = nextOffset++;
        ConsumerRecord<byte[], byte[]> r = new ConsumerRecord<>(topic, 0, offset, null, value.getBytes(StandardCharsets.UTF_8));
        for (org.apache.kafka.common.header.Header h : headers) {
            r.headers().add(h);
        }
        records.add(r);
        return offset;
    }

    /** Takes the next record of {@code intake} as an idle slot does, failing the test when none comes within 10 s. */
    static Work take(PoolIntake intake, Siblings slot) throws InterruptedException {
        long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < until) {
            Work w = intake.next(Duration.ofMillis(200), slot);
            if (w != null) {
                return w;
            }
        }
        throw new AssertionError("no record reached the slot within 10 s");
    }

    /** Records no consumer has fetched yet. */
    int unfetched() {
        return records.size();
    }

    boolean acked(long offset, AcknowledgeType type) {
        return acks.stream().anyMatch(a -> a.offset() == offset && a.type() == type);
    }

    @Override
    public ShareConsumer<byte[], byte[]> create(Properties settings) {
        RuntimeException d = down;
        if (d != null) {
            throw d;
        }
        Consumer c = new Consumer(consumers.size(), Integer.parseInt(settings.getProperty(ConsumerConfig.MAX_POLL_RECORDS_CONFIG)));
        consumers.add(c);
        return c;
    }

    final class Consumer extends MockShareConsumer<byte[], byte[]> {
        final int index;
        private final int maxRecords;
        private final Map<Long, ConsumerRecord<byte[], byte[]>> inFlight = new HashMap<>();
        private final Map<Long, AcknowledgeType> acknowledged = new HashMap<>();
        private final Map<Long, ConsumerRecord<byte[], byte[]>> renewed = new LinkedHashMap<>();
        private volatile boolean wakeup;
        volatile boolean closed;

        Consumer(int index, int maxRecords) {
            this.index = index;
            this.maxRecords = maxRecords;
        }

        @Override
        public ConsumerRecords<byte[], byte[]> poll(Duration timeout) {
            synchronized (this) {
                ensureOpen();
                if (wakeup) {
                    wakeup = false;
                    throw new WakeupException();
                }
                RuntimeException d = down;
                if (d != null) {
                    throw d;
                }
                if (inFlight.size() != acknowledged.size()) {
                    throw new IllegalStateException("All records must be acknowledged in explicit acknowledgement mode.");
                }
                inFlight.clear();
                acknowledged.clear();
                if (!renewed.isEmpty()) {
                    List<ConsumerRecord<byte[], byte[]>> back = new ArrayList<>();
                    var it = renewed.values().iterator();
                    do {
                        back.add(it.next());
                        it.remove();
                    } while (it.hasNext() && !renewalsOnePerPoll);
                    return handOut(back);
                }
            }
            List<ConsumerRecord<byte[], byte[]>> fetched = new ArrayList<>();
            try {
                ConsumerRecord<byte[], byte[]> first = records.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
                if (first != null) {
                    fetched.add(first);
                    records.drainTo(fetched, maxRecords - 1);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            synchronized (this) {
                return handOut(fetched);
            }
        }

        private ConsumerRecords<byte[], byte[]> handOut(List<ConsumerRecord<byte[], byte[]>> batch) {
            batch.forEach(r -> inFlight.put(r.offset(), r));
            return batch.isEmpty() ? ConsumerRecords.empty() : new ConsumerRecords<>(Map.of(new TopicPartition(topic, 0), batch), Map.of());
        }

        @Override
        public synchronized void acknowledge(ConsumerRecord<byte[], byte[]> record, AcknowledgeType type) {
            ensureOpen();
            if (!inFlight.containsKey(record.offset())) {
                throw new IllegalStateException("The record cannot be acknowledged.");
            }
            acknowledged.put(record.offset(), type);
            acks.add(new Ack(index, record.offset(), type));
        }

        @Override
        public synchronized Map<TopicIdPartition, Optional<KafkaException>> commitSync(Duration timeout) {
            ensureOpen();
            RuntimeException f = failNextCommitSync.getAndSet(null);
            if (f != null) {
                throw f;
            }
            acknowledged.forEach((offset, type) -> {
                if (type == AcknowledgeType.RENEW) {
                    renewed.put(offset, inFlight.get(offset));
                }
            });
            return Map.of();
        }

        @Override
        public Optional<Integer> acquisitionLockTimeoutMs() {
            return Optional.of(lockTimeoutMs); // renewed every 500 ms by default
        }

        @Override
        public void wakeup() {
            wakeup = true;
        }

        @Override
        public synchronized void close(Duration timeout) {
            closed = true;
            super.close(timeout);
        }

        private void ensureOpen() {
            if (closed) {
                throw new IllegalStateException("This consumer has already been closed.");
            }
        }
    }
}
