package katamari.worker.intake;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import katamari.topics.TopicNames;
import katamari.worker.supervisor.RestartBackoff;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.ShareConsumer;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One share consumer of a {@link PoolIntake} and the records of its latest poll; only its own thread touches the
 * consumer. It fetches when the intake gives it the turn, acknowledges each record as its slot finishes it (ACCEPT
 * after the reply is acknowledged by the broker: it rides on the next fetch; RELEASE or REJECT sent at once), renews
 * the locks of records still waiting or running at half the share-group lock (KIP-1222), and on stop gives back
 * what no slot has started. When the consumer fails, the feeder gives up its batch and carries on with a new
 * consumer after a backoff ({@link #recover}).
 */
final class Feeder implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(PoolIntake.class);
    private static final Duration POLL = Duration.ofMillis(500);
    /** Longest a finished batch's ACCEPTs wait for this feeder's next fetch to carry them (docs/design.md, failure table). */
    static final long ACCEPTS_RIDE_MS = 100;

    final String clientId;
    /** Its place among the intake's feeders ({@link FetchTurns}). */
    final int rank;
    final CountDownLatch stopped = new CountDownLatch(1);
    /** Signalled (under the intake's lock) when the batch has news for this feeder, or the intake stops. */
    final Condition wake;
    private final PoolIntake intake;
    private final ConcurrentLinkedQueue<Work> done = new ConcurrentLinkedQueue<>();
    /** Records of the current batch not completed yet; the last one wakes the feeder. */
    private final AtomicInteger pending = new AtomicInteger();
    /** The current batch's records not acknowledged yet; feeder thread only. */
    private final Set<Work> unfinished = Collections.newSetFromMap(new IdentityHashMap<>());
    private final RestartBackoff backoff;
    private ShareConsumer<byte[], byte[]> consumer;
    private volatile ShareConsumer<byte[], byte[]> wakeable;
    private int consumerBatch;
    /** When this feeder's consumer last polled after a start or a failure; -1 while it has not. */
    private volatile long upSince = -1;
    /** When the poll that brought the current batch began: the records' locks are at least this old. */
    private long polledAt;
    /** The last failure and when it was; read by {@link #trouble} on other threads. */
    private volatile String lastFailure;
    private volatile long lastFailureNanos;
    volatile int restarts;

    Feeder(PoolIntake intake, String clientId, int rank, Condition wake) {
        this.intake = intake;
        this.clientId = clientId;
        this.rank = rank;
        this.wake = wake;
        this.backoff = new RestartBackoff(PoolIntake.MAX_RESTART_BACKOFF, intake.healthyAfter);
    }

    /** Called by the slot that ran {@code w}. */
    void completed(Work w) {
        done.offer(w);
        // An ACCEPT waits for the batch's end anyway (it rides on the next fetch), so only the batch's last record
        // wakes the feeder, or a RELEASE or REJECT, which another instance should get at once: waking it for
        // every record cost a context switch per request. Every completion counts, hence no short circuit.
        intake.completed(wake, w.outcome() != AcknowledgeType.ACCEPT | pending.decrementAndGet() <= 0);
    }

    void wakeup() {
        ShareConsumer<byte[], byte[]> c = wakeable;
        if (c != null) {
            c.wakeup();
        }
    }

    String trouble() {
        String why = lastFailure;
        long at = lastFailureNanos;
        if (why == null) {
            return null;
        }
        // down: no feeder of the intake has polled since (the other one's polls count: while idle, only one polls)
        if (intake.lastGoodPoll - at < 0) {
            return "intake " + clientId + " is down: " + why;
        }
        int inARow = backoff.consecutiveFailures();
        boolean repeated = inARow >= Feeders.REPEATED_FAILURES && System.nanoTime() - at < intake.healthyAfter.toNanos();
        return repeated ? "intake " + clientId + " failed " + inARow + " times in a row, last: " + why : null;
    }

    @Override
    public void run() {
        try {
            while (intake.open()) {
                try {
                    feed();
                } catch (RuntimeException e) {
                    recover(e);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            closeConsumer(Duration.ofSeconds(5)); // commits acknowledgements still pending
            stopped.countDown();
        }
    }

    /** Fetches batches and runs them until the intake stops; a failure of the consumer is thrown. */
    private void feed() throws InterruptedException {
        consumer(); // joins now: a join waits for a heartbeat (up to 1 s), which a starved slot would wait for too
        boolean acceptsPending = false;
        while (intake.open()) {
            if (!intake.awaitFetchTurn(this, 0)) {
                // ACCEPTs ride on this consumer's next fetch, whose turn comes with the next request: sent at once
                // instead, they cost the broker a ShareAcknowledge per ShareFetch (docs/benchmarks.md, 2026-12-01)
                long wait = acceptsPending ? ACCEPTS_RIDE_MS : FetchTurns.takesTurns(this) ? 200 : 1000; // a further one is woken when a slot starves
                if (!intake.awaitFetchTurn(this, wait)) {
                    if (acceptsPending) {
                        consumer.commitAsync();
                        acceptsPending = false;
                    }
                    continue;
                }
            }
            List<Work> batch = new ArrayList<>();
            try {
                // keep polling until records come: a poll that timed out may still have a fetch in flight,
                // and what it brings is locked from then on, so this consumer, not the other, polls next
                do {
                    polledAt = System.nanoTime();
                    ConsumerRecords<byte[], byte[]> records = consumer().poll(POLL);
                    intake.lastGoodPoll = System.nanoTime();
                    if (upSince < 0) {
                        upSince = intake.lastGoodPoll;
                    }
                    for (ConsumerRecord<byte[], byte[]> r : records) {
                        batch.add(new Work(r, this));
                    }
                } while (batch.isEmpty() && intake.open() && intake.slotsAlive());
                pending.set(batch.size()); // before any slot can complete one
                unfinished.addAll(batch);
                intake.fetched(this, batch);
            } catch (WakeupException e) {
                continue;
            } finally {
                intake.fetchEnded(this);
            }
            if (!batch.isEmpty()) {
                runBatch(polledAt);
                intake.batchOver(this); // a failed batch is over in recover()
                acceptsPending = true;
            }
        }
    }

    /**
     * After the consumer failed: the records of its batch no slot has started are withdrawn (and released when
     * the consumer still can), the consumer is closed, and a new one is made after the backoff. Records that
     * are running are not acknowledged by anyone: their slots still send the answers, and the broker
     * redelivers them when their locks expire or the closed consumer's session gives them back (the gateway
     * answers each id once). Acknowledging them on the new consumer is impossible: a record belongs to the
     * consumer that acquired it.
     */
    private void recover(RuntimeException e) throws InterruptedException {
        backoff.failed(Duration.ofNanos(upSince < 0 ? 0 : System.nanoTime() - upSince));
        upSince = -1;
        lastFailure = e.toString();
        lastFailureNanos = System.nanoTime();
        Duration wait = backoff.nextDelay();
        LOG.error("intake {} failed ({} in a row); restarting it with a new consumer in {} ms; records it fetched that no slot started go back to the broker",
                clientId, backoff.consecutiveFailures(), wait.toMillis(), e);
        List<Work> withdrawn = new ArrayList<>();
        for (Work u : List.copyOf(unfinished)) {
            if (u.withdraw()) {
                withdrawn.add(u);
                try {
                    consumer.acknowledge(u.record, AcknowledgeType.RELEASE);
                } catch (RuntimeException ignored) {
                    // its lock expires instead
                }
            }
        }
        intake.withdrawn(this, withdrawn, true);
        intake.batchOver(this);
        unfinished.clear();
        done.clear();
        pending.set(0);
        closeConsumer(Duration.ofSeconds(1));
        restarts++;
        long until = System.nanoTime() + wait.toNanos();
        for (long left = wait.toNanos(); intake.open() && left > 0; left = until - System.nanoTime()) {
            intake.await(wake, left, () -> !intake.open()); // stop() signals
        }
    }

    private void closeConsumer(Duration timeout) {
        ShareConsumer<byte[], byte[]> c = consumer;
        consumer = null;
        wakeable = null;
        if (c != null) {
            try {
                c.close(timeout);
            } catch (RuntimeException e) {
                LOG.debug("closing the consumer of {}", clientId, e);
            }
        }
    }

    /** A consumer fetching {@link PoolIntake#batchSize} records at most (a new one when the pool-version was resized). */
    private ShareConsumer<byte[], byte[]> consumer() {
        int wanted = intake.batchSize;
        if (consumer != null && consumerBatch != wanted) {
            closeConsumer(Duration.ofSeconds(5));
        }
        if (consumer == null) {
            consumer = intake.consumers.create(Feeders.consumerSettings(intake, clientId, wanted));
            consumer.subscribe(List.of(TopicNames.requests(intake.pool.name(), intake.pool.version())));
            consumerBatch = wanted;
            wakeable = consumer;
        }
        return consumer;
    }

    /**
     * Acknowledges each record of the batch ({@link #unfinished}) as its slot finishes it, renews the locks of
     * those still waiting or running every half lock period, and on stop gives back those no slot has started.
     */
    private void runBatch(long lockSince) throws InterruptedException {
        long renewEveryNs = TimeUnit.MILLISECONDS.toNanos(Math.max(500, consumer.acquisitionLockTimeoutMs().orElse(30_000) / 2));
        while (!unfinished.isEmpty()) {
            long untilRenewal = lockSince + renewEveryNs - System.nanoTime();
            intake.await(wake, Math.max(1, Math.min(TimeUnit.MILLISECONDS.toNanos(100), untilRenewal)), () -> !done.isEmpty());
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
            boolean commitNow = false;
            for (Work w = done.poll(); w != null; w = done.poll()) {
                // a record of a batch given up in recover() is not in unfinished: nobody acknowledges it
                if (unfinished.remove(w) && w.outcome() != null) {
                    consumer.acknowledge(w.record, w.outcome());
                    // an ACCEPT rides on the next fetch; a RELEASE or REJECT goes now, so another instance can have it
                    commitNow |= w.outcome() != AcknowledgeType.ACCEPT;
                }
            }
            if (!intake.open() || intake.instances == 0) { // stopping, or no slot left to run them
                commitNow |= giveBackUnstarted();
            }
            if (commitNow) {
                consumer.commitAsync();
            }
            if (!unfinished.isEmpty() && System.nanoTime() - lockSince >= renewEveryNs) {
                renew(renewEveryNs);
                lockSince = System.nanoTime();
            }
        }
    }

    /** RELEASEs the records of the batch that no slot has started; @return whether there were any */
    private boolean giveBackUnstarted() {
        List<Work> withdrawn = new ArrayList<>();
        for (Work u : List.copyOf(unfinished)) {
            if (u.withdraw()) {
                withdrawn.add(u);
                consumer.acknowledge(u.record, AcknowledgeType.RELEASE);
                unfinished.remove(u);
            }
        }
        intake.withdrawn(this, withdrawn, false);
        return !withdrawn.isEmpty();
    }

    /**
     * Renews the locks of {@link #unfinished}. A renewed record leaves the consumer's hands until a later poll
     * returns it (KIP-1222; that poll may also bring new records, which join the batch), and only then can it
     * be acknowledged. A record the broker did not give back has lost its lock: it is dropped from the batch and
     * never acknowledged here (its answer is still sent; the broker redelivers it).
     *
     * <p>The renewals are committed with {@code commitSync}, then one poll takes back what was renewed. Never
     * two polls: each partition's renewal completes on its own (one per partition leader), a poll hands back the
     * records renewed so far, and a second poll before those are acknowledged again throws "All records must be
     * acknowledged in explicit acknowledgement mode". With one broker every renewal completed at once; with
     * partitions led by several brokers, a renewal slowed by a broker's death (or by the share-state writes that
     * fail meanwhile) came back after the others, and that second poll killed the feeder (issue 14).
     * {@code commitSync} returns once every renewal has completed, together.
     */
    private void renew(long renewEveryNs) {
        Map<String, Work> awaiting = new HashMap<>();
        for (Work u : unfinished) {
            consumer.acknowledge(u.record, AcknowledgeType.RENEW);
            awaiting.put(key(u.record), u);
        }
        wakeable = null; // a stop must not cut the renewal short: what is not back in time is lost
        try {
            consumer.commitSync(Duration.ofNanos(renewEveryNs));
        } catch (TimeoutException | WakeupException e) {
            // what has not been renewed by now counts as lost; a renewal that lands later comes back through a
            // later poll like a new delivery (it may then run twice; the gateway answers its id once)
            LOG.debug("renewing {} locks of {} did not complete: {}", awaiting.size(), intake.pool.key(), e.toString());
        } finally {
            wakeable = consumer;
        }
        ConsumerRecords<byte[], byte[]> back;
        try {
            back = consumer.poll(Duration.ofMillis(100));
        } catch (WakeupException e) {
            back = consumer.poll(Duration.ZERO); // a stop: take back what was renewed; the batch loop then gives back what is waiting
        }
        for (ConsumerRecord<byte[], byte[]> r : back) {
            if (awaiting.remove(key(r)) == null) {
                // a new record came with the renewed ones: keep it (giving it back would count a delivery
                // against its attempts); it joins the batch and waits for a slot like the others
                Work extra = new Work(r, this);
                unfinished.add(extra);
                pending.incrementAndGet();
                intake.fetched(null, List.of(extra));
            }
        }
        List<Work> lostUnstarted = new ArrayList<>();
        for (Work lost : awaiting.values()) {
            if (lost.withdraw()) {
                lostUnstarted.add(lost); // not started: the broker's redelivery is the only copy that will run
                pending.decrementAndGet(); // it will never complete: the batch's last record must still wake us
            }
            LOG.warn("the share-group lock of the record at offset {} of {} was not renewed; it is left to the broker", lost.record.offset(), intake.pool.key());
            unfinished.remove(lost);
        }
        intake.withdrawn(this, lostUnstarted, false);
    }

    private static String key(ConsumerRecord<byte[], byte[]> r) {
        return r.topic() + "/" + r.partition() + "/" + r.offset();
    }
}
