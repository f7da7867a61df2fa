package katamari.worker.intake;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import katamari.config.KafkaSettings;
import katamari.config.PoolDefinition;
import katamari.topics.TopicNames;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.common.KafkaException;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** How an intake's feeders survive their share consumers' failures (PoolIntake.Feeder#recover, #renew). */
class PoolIntakeRecoveryTest {
    /** One instance, two records per batch: the slot runs one while the other waits. */
    private static final PoolDefinition POOL = PoolDefinition.of("echo", "v1", List.of("/bin/cat")).withPrefetch(2);

    private final ShareGroupFake group = new ShareGroupFake(TopicNames.requests(POOL.name(), POOL.version()));
    private final PoolIntake intake = new PoolIntake(POOL, KafkaSettings.defaults(), "w1", 1, group, Duration.ofSeconds(1));

    @AfterEach
    void stop() throws InterruptedException {
        intake.stop();
        assertTrue(intake.awaitStopped(Duration.ofSeconds(10)));
    }

    @Test
    void a_feeder_whose_consumer_fails_is_restarted_and_the_intake_reports_itself_unhealthy_until_it_recovers() throws Exception {
        intake.start();
        assertEquals(null, intake.next(Duration.ofMillis(300), new Siblings()), "nothing to run yet; a feeder is polling");
        group.down = new KafkaException("broker unreachable");
        eventually().until(() -> intake.next(Duration.ofMillis(50), new Siblings()) == null && intake.restarts() >= 3); // a slot waits meanwhile
        assertTrue(intake.trouble().isPresent(), "down while the broker is: " + intake.trouble());

        group.down = null;
        long offset = group.add("after the outage");
        Work w = takeNext();
        assertEquals(offset, w.record.offset(), "a new consumer fetches again");
        w.complete(AcknowledgeType.ACCEPT);
        eventually().until(() -> intake.trouble().isEmpty());
        eventually().until(() -> group.acked(offset, AcknowledgeType.ACCEPT));
    }

    @Test
    void a_failed_feeder_releases_what_no_slot_started_and_acknowledges_nothing_of_what_was_running() throws Exception {
        intake.start();
        long running = group.add("running");
        long waiting = group.add("waiting");
        Work first = takeNext();
        assertEquals(running, first.record.offset());
        group.failNextCommitSync.set(new IllegalStateException("the consumer broke"));
        eventually().until(() -> intake.restarts() == 1); // at the first renewal (half the 1 s lock)
        assertTrue(group.acked(waiting, AcknowledgeType.RELEASE), "the waiting record went back at once: " + group.acks);
        int failed = group.acks.stream().filter(a -> a.offset() == waiting).findFirst().orElseThrow().consumer();
        assertTrue(group.consumers.get(failed).closed, "the failed consumer, which had fetched both, is closed");

        first.complete(AcknowledgeType.ACCEPT); // its consumer is gone: the broker redelivers it, nobody acknowledges it
        long next = group.add("next");
        Work second = takeNext();
        assertEquals(next, second.record.offset(), "the withdrawn record never reaches a slot from the old batch");
        second.complete(AcknowledgeType.ACCEPT);
        eventually().until(() -> group.acked(next, AcknowledgeType.ACCEPT));
        assertFalse(group.acked(running, AcknowledgeType.ACCEPT), "not acknowledged on a consumer that did not acquire it: " + group.acks);
    }

    @Test
    void renewals_that_come_back_partition_by_partition_never_make_the_feeder_poll_with_records_unacknowledged() throws Exception {
        group.renewalsOnePerPoll = true;
        intake.start();
        long running = group.add("running");
        group.add("waiting");
        Work first = takeNext();
        eventually().until(() -> group.acks.stream().anyMatch(a -> a.type() == AcknowledgeType.RENEW));
        first.complete(AcknowledgeType.ACCEPT);
        eventually().until(() -> group.acked(running, AcknowledgeType.ACCEPT));
        assertEquals(0, intake.restarts(), "the renewed record came back and was acknowledged on its own consumer");
        assertTrue(intake.trouble().isEmpty());
    }

    private Work takeNext() throws InterruptedException {
        return ShareGroupFake.take(intake, new Siblings());
    }

    private static ConditionFactory eventually() {
        return Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20));
    }
}
