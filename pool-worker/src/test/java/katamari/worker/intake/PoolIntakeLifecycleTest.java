package katamari.worker.intake;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import katamari.config.KafkaSettings;
import katamari.config.PoolDefinition;
import katamari.topics.TopicNames;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The intake's lifecycle, and what a stop does to records that wait for a slot. */
class PoolIntakeLifecycleTest {
    private static final PoolDefinition POOL = new PoolDefinition("echo", "v1", List.of("/bin/cat"), 1, Duration.ofSeconds(30), 2,
            null, null, Map.of(), null, null, 2);

    private final ShareGroupFake group = new ShareGroupFake(TopicNames.requests(POOL.name(), POOL.version()));
    private final PoolIntake intake = new PoolIntake(POOL, KafkaSettings.defaults(), "w1", 1, group, Duration.ofSeconds(1));

    @AfterEach
    void stop() throws InterruptedException {
        intake.stop();
        assertTrue(intake.awaitStopped(Duration.ofSeconds(10)));
    }

    @Test
    void an_intake_cannot_be_started_twice() {
        intake.start();
        IllegalStateException e = assertThrows(IllegalStateException.class, intake::start);
        assertTrue(e.getMessage().contains("cannot be started more than once"), e.getMessage());
        long feeders = Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("intake-w1-echo-v1-feed")).count();
        assertEquals(2, feeders, "still two feeders, not four");
    }

    @Test
    void a_stop_that_races_a_take_hands_the_waiting_record_to_no_slot_and_gives_it_back() throws Exception {
        long running = group.add("running");
        long waiting = group.add("waiting");
        intake.start();
        Work first = null;
        while (first == null) {
            first = intake.next(Duration.ofMillis(200), new Siblings());
        }
        assertEquals(running, first.record.offset(), "the other record of the batch now waits here");
        intake.stop();
        assertNull(intake.next(Duration.ofMillis(50), new Siblings()), "a stopped intake hands out nothing");
        assertNull(intake.poll(new Siblings()));
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> group.acked(waiting, AcknowledgeType.RELEASE));
        first.complete(AcknowledgeType.ACCEPT); // the running one still finishes and is acknowledged
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> group.acked(running, AcknowledgeType.ACCEPT));
    }
}
