package katamari.worker.intake;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import katamari.config.KafkaSettings;
import katamari.config.PoolDefinition;
import katamari.topics.HeaderNames;
import katamari.topics.KafkaRecords;
import katamari.topics.TopicNames;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.common.header.Header;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** How an agent's slots share the copies of a majority request out (Siblings, PoolIntake#claimNext). */
class PoolIntakeCopiesTest {
    /** Two instances on this agent, four records per batch: all the copies of a request fit in one. */
    private static final PoolDefinition POOL = PoolDefinition.of("vote", "v1", List.of("/bin/cat")).withPrefetch(2);
    private static final String REQUEST = "{\"method\": \"pid\", \"args\": {}}";

    private final ShareGroupFake group = new ShareGroupFake(TopicNames.requests(POOL.name(), POOL.version()));
    private final PoolIntake intake = new PoolIntake(POOL, KafkaSettings.defaults(), "w1", 2, group, Duration.ofSeconds(1));
    private final Siblings a = new Siblings();
    private final Siblings b = new Siblings();
    /** What the test's slots took: finished at the end, as a slot would, so that the feeders can stop. */
    private final List<Work> taken = new java.util.ArrayList<>();

    @AfterEach
    void stop() throws InterruptedException {
        taken.forEach(w -> w.complete(AcknowledgeType.ACCEPT));
        intake.stop();
        assertTrue(intake.awaitStopped(Duration.ofSeconds(10)));
    }

    private static Header[] copy(String id, int i, int n) {
        return new Header[] {KafkaRecords.header(HeaderNames.ID, id + ".q" + i), KafkaRecords.header(HeaderNames.REPLY_TO, "replies"),
                KafkaRecords.header(HeaderNames.COPY, i + "/" + n)};
    }

    @Test
    void a_slot_that_ran_a_copy_leaves_its_sibling_to_another_slot_and_still_takes_other_records() throws Exception {
        long q1 = group.add(REQUEST, copy("c1", 1, 3));
        long q2 = group.add(REQUEST, copy("c1", 2, 3));
        long other = group.add(REQUEST, copy("c2", 1, 3));
        intake.start();
        assertEquals(q1, take(a).record.offset());
        assertEquals(other, take(a).record.offset(), "slot a skips c1's second copy and takes the next request's");
        assertNull(intake.next(Duration.ofMillis(200), a), "c1's second copy is not for slot a");
        assertEquals(q2, take(b).record.offset(), "slot b, which ran no copy of c1, takes it");
    }

    @Test
    void a_copy_that_every_slot_of_the_agent_ran_a_sibling_of_goes_back_to_the_broker_on_its_first_delivery() throws Exception {
        group.add(REQUEST, copy("c1", 1, 3));
        group.add(REQUEST, copy("c1", 2, 3));
        long q3 = group.add(REQUEST, copy("c1", 3, 3));
        intake.start();
        take(a);
        take(b);
        assertNull(intake.next(Duration.ofMillis(200), a), "slot a ran c1.q1");
        assertNull(intake.next(Duration.ofMillis(200), b), "slot b ran c1.q2: no slot here may run c1.q3");
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> group.acked(q3, AcknowledgeType.RELEASE));
        assertFalse(group.acked(q3, AcknowledgeType.ACCEPT), "given back unrun, for another agent's instances");
    }

    @Test
    void records_that_are_not_copies_go_to_any_slot_in_order() throws Exception {
        long first = group.add(REQUEST, KafkaRecords.header(HeaderNames.ID, "plain-1"));
        long second = group.add(REQUEST, KafkaRecords.header(HeaderNames.ID, "plain-1.q1")); // a copy's id, but no katamari-copy
        intake.start();
        assertEquals(first, take(a).record.offset());
        assertEquals(second, take(a).record.offset());
    }

    /** Takes the next record as an idle slot does. */
    private Work take(Siblings slot) throws InterruptedException {
        Work w = ShareGroupFake.take(intake, slot);
        taken.add(w);
        return w;
    }
}
