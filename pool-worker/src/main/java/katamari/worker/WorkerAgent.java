package katamari.worker;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import katamari.config.KatamariConfig;
import katamari.config.PoolDefinition;
import katamari.worker.intake.InstanceSlot;
import katamari.worker.reply.ReplySender;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker agent: runs the configured instances of every pool-version and feeds them from Kafka.
 * Lifecycle: NEW → {@link #start()} → STARTED → {@link #close()} → CLOSED; close is idempotent.
 */
public final class WorkerAgent implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(WorkerAgent.class);

    private enum State { NEW, STARTED, CLOSED }

    private final AtomicReference<State> state = new AtomicReference<>(State.NEW);
    private final KatamariConfig config;
    private final String workerId;
    private final List<InstanceSlot> slots = new ArrayList<>();
    private ReplySender replies;

    public WorkerAgent(KatamariConfig config) {
        this.config = config;
        this.workerId = "w" + UUID.randomUUID().toString().substring(0, 6);
    }

    public String id() {
        return workerId;
    }

    public void start() {
        if (!state.compareAndSet(State.NEW, State.STARTED)) {
            throw new IllegalStateException("worker agent cannot be started more than once (state " + state.get() + ")");
        }
        replies = new ReplySender(config.kafka(), config.worker().replyTimeout());
        for (PoolDefinition pool : config.pools()) {
            for (int i = 0; i < pool.instances(); i++) {
                String instanceId = workerId + "-" + pool.name() + "-" + pool.version() + "-" + i;
                InstanceSlot slot = new InstanceSlot(pool, config.worker(), config.kafka(), instanceId, replies);
                slots.add(slot);
                Thread t = new Thread(slot, "slot-" + instanceId);
                t.setDaemon(true);
                t.start();
            }
        }
        LOG.info("worker {} started {} instance slot(s) for {} pool-version(s)", workerId, slots.size(), config.pools().size());
    }

    /** Waits until every slot's first instance said hello; returns false on timeout or if any failed to launch. */
    public boolean awaitInstances(Duration timeout) {
        try {
            CompletableFuture.allOf(slots.stream().map(InstanceSlot::firstLaunch).toArray(CompletableFuture[]::new))
                    .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    /** Stops taking records, lets each slot finish the record in hand, stops instances. */
    @Override
    public void close() {
        if (state.getAndSet(State.CLOSED) != State.STARTED) {
            return;
        }
        slots.forEach(InstanceSlot::stop);
        for (InstanceSlot slot : slots) {
            try {
                if (!slot.awaitStopped(Duration.ofSeconds(30))) {
                    LOG.warn("a slot of worker {} did not stop within 30 s", workerId);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        replies.close();
        LOG.info("worker {} stopped", workerId);
    }
}
