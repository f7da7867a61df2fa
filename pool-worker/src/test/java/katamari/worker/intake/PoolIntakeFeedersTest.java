package katamari.worker.intake;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import katamari.config.KafkaSettings;
import katamari.config.PoolDefinition;
import katamari.topics.TopicNames;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** How many feeders an intake fetches with while long calls hold their batches (FetchTurns). */
class PoolIntakeFeedersTest {
    /** Three instances, one record each per batch. */
    private static final PoolDefinition POOL = PoolDefinition.of("slow", "v1", List.of("/bin/cat"));

    private final ShareGroupFake group = new ShareGroupFake(TopicNames.requests(POOL.name(), POOL.version()));
    private final PoolIntake intake = new PoolIntake(POOL, KafkaSettings.defaults(), "w1", 3, group, Duration.ofSeconds(1));
    /** What the test's slots took and did not finish: finished at the end, as a slot would, so that the feeders can stop. */
    private final List<Work> running = new ArrayList<>();

    @BeforeEach
    void longLocks() {
        // renewals every 30 s: a renewal's poll, which may bring new records, cannot stand in for a fetch here
        group.lockTimeoutMs = 60_000;
    }

    @AfterEach
    void stop() throws InterruptedException {
        running.forEach(w -> w.complete(AcknowledgeType.ACCEPT));
        intake.stop();
        assertTrue(intake.awaitStopped(Duration.ofSeconds(10)));
    }

    @Test
    void an_idle_slot_gets_a_record_while_the_two_feeders_taking_turns_each_hold_a_long_call() throws Exception {
        long first = group.add("{}");
        intake.start();
        assertEquals(first, take(new Siblings()).record.offset(), "the first feeder's batch: one record, running");
        long second = group.add("{}");
        assertEquals(second, take(new Siblings()).record.offset(), "the second feeder's batch: one record, running");
        Awaitility.await("a feeder per instance, each with its consumer from the start").atMost(Duration.ofSeconds(5))
                .until(() -> group.consumers.size() == 3);

        long third = group.add("{}");
        assertEquals(third, take(new Siblings()).record.offset(), "a third feeder fetches for the idle slot; both long calls still run");
        assertEquals(0, group.unfetched());
    }

    @Test
    void a_further_feeder_does_not_fetch_while_no_slot_is_idle() throws Exception {
        group.add("{}");
        intake.start();
        take(new Siblings());
        group.add("{}");
        take(new Siblings());
        group.add("{}"); // the third instance is not idle (no slot waits in next): nothing fetches this
        Awaitility.await().during(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(3)).until(() -> group.unfetched() == 1);
    }

    /** Takes the next record as an idle slot does, and keeps it running. */
    private Work take(Siblings slot) throws InterruptedException {
        Work w = ShareGroupFake.take(intake, slot);
        running.add(w);
        return w;
    }
}
