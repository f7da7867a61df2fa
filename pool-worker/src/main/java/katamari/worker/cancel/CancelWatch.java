package katamari.worker.cancel;

import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import katamari.config.KafkaSettings;
import katamari.topics.KafkaRecords;
import katamari.topics.TopicNames;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows {@code katamari.cancels} for one agent and tells its {@link Cancels}. A plain consumer without a group, its
 * partitions assigned directly and read from the end: every agent must see every cancel (a group would share them
 * out), and a cancel older than the agent's start is of no use to it (what it names was either run elsewhere or is
 * redelivered after its deadline). {@link #isReady()} turns true once its position is fixed, so every cancel
 * published after that reaches {@link Cancels}. While the topic does not exist (a cluster not provisioned yet), it
 * looks again every second.
 */
public final class CancelWatch implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CancelWatch.class);
    private static final Duration RETRY = Duration.ofSeconds(1);

    private enum State { NEW, RUNNING, CLOSED }

    private final AtomicReference<State> state = new AtomicReference<>(State.NEW);
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Cancels cancels;
    private final CountDownLatch positioned = new CountDownLatch(1);
    private final String workerId;
    private Thread poller;

    public CancelWatch(KafkaSettings kafka, String workerId, Cancels cancels) {
        this.cancels = cancels;
        this.workerId = workerId;
        Properties p = kafka.clientProperties();
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, "katamari-cancels-" + workerId);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
        // a missing topic or a broker away is retried here rather than blocking the thread for the default minute
        p.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "5000");
        this.consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    public void start() {
        if (!state.compareAndSet(State.NEW, State.RUNNING)) {
            throw new IllegalStateException("cancel watch cannot be started more than once (state " + state.get() + ")");
        }
        poller = new Thread(this::run, "cancel-watch-" + workerId);
        poller.setDaemon(true);
        poller.start();
    }

    /** True once cancels published from now on cannot be missed. */
    public boolean isReady() {
        return positioned.getCount() == 0 && state.get() == State.RUNNING;
    }

    /** Waits until {@link #isReady()}; false on timeout. */
    public boolean awaitReady(Duration timeout) throws InterruptedException {
        return positioned.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void run() {
        try {
            assignAtEnd();
            while (state.get() == State.RUNNING) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofSeconds(1))) {
                    String id = KafkaRecords.cancelledId(r);
                    if (id != null) {
                        cancels.cancel(id);
                    }
                }
            }
        } catch (WakeupException e) {
            // close() asked us to stop
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            if (state.get() == State.RUNNING) {
                LOG.error("the cancel watch failed; cancels are no longer heard by this agent (requests run as if never cancelled)", e);
            }
        } finally {
            consumer.close(Duration.ofSeconds(2));
        }
    }

    /** Assigns every partition of the cancel topic at its end, once it exists (a broker away is waited out). */
    private void assignAtEnd() throws InterruptedException {
        while (state.get() == State.RUNNING) {
            try {
                List<PartitionInfo> infos = consumer.partitionsFor(TopicNames.cancels());
                if (infos != null && !infos.isEmpty()) {
                    List<TopicPartition> all = infos.stream().map(i -> new TopicPartition(i.topic(), i.partition())).toList();
                    consumer.assign(all);
                    consumer.seekToEnd(all);
                    all.forEach(consumer::position); // the seek happens now: "ready" means every later cancel is read
                    positioned.countDown();
                    return;
                }
            } catch (org.apache.kafka.common.errors.TimeoutException e) {
                LOG.debug("the cancel topic could not be positioned yet: {}", e.toString());
            }
            LOG.debug("{} is not there yet; looking again in {} ms", TopicNames.cancels(), RETRY.toMillis());
            Thread.sleep(RETRY.toMillis());
        }
    }

    @Override
    public void close() {
        State was = state.getAndSet(State.CLOSED);
        if (was == State.NEW) {
            consumer.close(Duration.ZERO);
            return;
        }
        if (was != State.RUNNING) {
            return;
        }
        consumer.wakeup();
        try {
            poller.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
