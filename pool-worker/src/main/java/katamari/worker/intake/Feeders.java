package katamari.worker.intake;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import katamari.topics.TopicNames;
import org.apache.kafka.clients.consumer.ConsumerConfig;

/** An intake's feeders, each on a thread of its own, their health as one, and the settings of their consumers. */
final class Feeders {
    /** A feeder that failed this many times in a row, the last less than {@code healthyAfter} ago, is failing repeatedly. */
    static final int REPEATED_FAILURES = 3;

    private final List<Feeder> all = new CopyOnWriteArrayList<>();

    /** Starts feeders ranked from the current count up to {@code count} - 1 (none when there are that many). */
    synchronized void growTo(int count, IntFunction<Feeder> feeder) {
        for (int rank = all.size(); rank < count; rank++) {
            Feeder f = feeder.apply(rank);
            all.add(f);
            Thread t = new Thread(f, "intake-" + f.clientId);
            t.setDaemon(true);
            t.start();
        }
    }

    /** A feeder's share consumer: explicit acknowledgement, at most {@code batch} records per fetch. */
    static Properties consumerSettings(PoolIntake intake, String clientId, int batch) {
        Properties p = intake.kafka.clientProperties();
        p.put(ConsumerConfig.GROUP_ID_CONFIG, TopicNames.shareGroup(intake.pool.name(), intake.pool.version()));
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, "katamari-" + clientId);
        p.put(ConsumerConfig.SHARE_ACKNOWLEDGEMENT_MODE_CONFIG, "explicit");
        // the broker hands out no more than this per fetch: an agent never holds more than its instances can start
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, String.valueOf(batch));
        p.put(ConsumerConfig.SHARE_ACQUIRE_MODE_CONFIG, "record_limit");
        return p;
    }

    /** In rank order. */
    List<Feeder> all() {
        return all;
    }

    /**
     * Why the intake cannot feed its instances right now, empty while it can: a feeder is down (its consumer failed
     * and no feeder has polled since) or failing repeatedly ({@value #REPEATED_FAILURES} failures in a row, the last
     * less than 30 s ago). Reported in the worker's heartbeat, metrics and {@code /readyz}.
     */
    Optional<String> trouble() {
        return all.stream().map(Feeder::trouble).filter(Objects::nonNull).findFirst();
    }

    int restarts() {
        return all.stream().mapToInt(f -> f.restarts).sum();
    }

    boolean isStopped() {
        return all.stream().allMatch(f -> f.stopped.getCount() == 0);
    }

    boolean awaitStopped(Duration timeout) throws InterruptedException {
        long until = System.nanoTime() + timeout.toNanos();
        for (Feeder f : all) {
            if (!f.stopped.await(Math.max(0, until - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                return false;
            }
        }
        return true;
    }
}
