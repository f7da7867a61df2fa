package katamari.worker.reply;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.TextNode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import katamari.topics.HeaderNames;
import katamari.topics.Reply;
import katamari.topics.TopicNames;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.NotEnoughReplicasException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What ReplySender does when a reply or a dead letter cannot be written yet (issue 14: broker outages). */
class ReplySenderRetryTest {
    private static final String REPLY_TO = "katamari.replies.gwa";
    private static final String DEAD = TopicNames.dead("echo", "v1");

    private final MockProducer<byte[], byte[]> producer = new MockProducer<>(false, null, new ByteArraySerializer(), new ByteArraySerializer());
    private final ReplySender sender = new ReplySender(producer, Duration.ofSeconds(5));

    @AfterEach
    void close() {
        sender.close();
    }

    @Test
    void a_reply_failing_with_retriable_errors_is_sent_again_until_written_and_only_then_completes() {
        CompletableFuture<Void> written = reply(System.currentTimeMillis() + 30_000);
        assertTrue(producer.errorNext(new NotEnoughReplicasException("min ISR 2, 1 in sync")));
        eventually().until(() -> producer.history().size() == 2);
        assertTrue(producer.errorNext(new TimeoutException("Expiring 1 record(s)")));
        assertFalse(written.isDone(), "the request must not be acknowledged while its reply is unwritten");
        eventually().until(() -> producer.history().size() == 3);
        assertTrue(producer.completeNext());
        eventually().until(written::isDone);
        assertTrue(producer.history().stream().allMatch(r -> r.topic().equals(REPLY_TO)), "never dead-lettered");
    }

    @Test
    void a_reply_still_failing_when_the_request_life_is_over_is_dead_lettered_and_completes_once_that_is_written() {
        CompletableFuture<Void> written = reply(System.currentTimeMillis() + 500);
        eventually().until(() -> {
            ProducerRecord<byte[], byte[]> last = last();
            if (last.topic().equals(DEAD)) {
                return true;
            }
            producer.errorNext(new TimeoutException("broker gone"));
            return false;
        });
        assertFalse(written.isDone(), "not acknowledged before the dead letter is written");
        assertTrue(producer.errorNext(new NotEnoughReplicasException("the dead letter waits out the outage too")));
        eventually().until(() -> producer.history().size() > 0 && last().topic().equals(DEAD) && producer.completeNext());
        eventually().until(written::isDone);
        ProducerRecord<byte[], byte[]> dead = last();
        assertEquals("req-1", header(dead, HeaderNames.ID));
        assertTrue(header(dead, HeaderNames.FAILURE_REASON).startsWith("reply undeliverable: " + REPLY_TO), header(dead, HeaderNames.FAILURE_REASON));
    }

    @Test
    void a_reply_to_a_topic_that_does_not_exist_is_dead_lettered_without_waiting_for_the_deadline() {
        CompletableFuture<Void> written = reply(System.currentTimeMillis() + 60_000);
        assertTrue(producer.errorNext(new TimeoutException("Topic " + REPLY_TO + " not present in metadata after 5000 ms.",
                new UnknownTopicOrPartitionException("This server does not host this topic-partition."))));
        eventually().until(() -> last().topic().equals(DEAD) && producer.completeNext());
        eventually().until(written::isDone);
        assertEquals(2, producer.history().size(), "one try of the reply, then its dead letter");
    }

    @Test
    void a_reply_topic_found_missing_sends_the_next_replies_to_the_dead_letters_without_another_wait_until_that_is_forgotten() {
        AtomicLong skew = new AtomicLong();
        ReplySender remembering = new ReplySender(producer, Duration.ofSeconds(5), () -> Instant.ofEpochMilli(System.currentTimeMillis() + skew.get()));
        try {
            CompletableFuture<Void> first = reply(remembering, "req-1", System.currentTimeMillis() + 60_000);
            assertTrue(producer.errorNext(new TimeoutException("Topic " + REPLY_TO + " not present in metadata after 5000 ms.",
                    new UnknownTopicOrPartitionException("This server does not host this topic-partition."))));
            eventually().until(() -> last().topic().equals(DEAD) && producer.completeNext());
            eventually().until(first::isDone);

            CompletableFuture<Void> second = reply(remembering, "req-2", System.currentTimeMillis() + 60_000);
            assertEquals(3, producer.history().size(), "no second try of the missing topic");
            assertEquals(DEAD, last().topic());
            assertEquals("req-2", header(last(), HeaderNames.ID));
            assertTrue(header(last(), HeaderNames.FAILURE_REASON).contains("does not exist"), header(last(), HeaderNames.FAILURE_REASON));
            assertTrue(producer.completeNext());
            eventually().until(second::isDone);

            skew.addAndGet(ReplySender.MISSING_TOPIC_MEMORY.toMillis() + 1);
            reply(remembering, "req-3", System.currentTimeMillis() + 60_000);
            assertEquals(REPLY_TO, last().topic(), "once forgotten, the topic is asked for again (its reader may be back)");
        } finally {
            remembering.close();
        }
    }

    @Test
    void a_retry_due_after_its_topic_was_found_missing_is_not_sent_again_but_dead_lettered() {
        CompletableFuture<Void> retrying = reply(sender, "req-1", System.currentTimeMillis() + 60_000);
        assertTrue(producer.errorNext(new NotEnoughReplicasException("min ISR 2, 1 in sync"))); // retried in 100 ms
        reply(sender, "req-2", System.currentTimeMillis() + 60_000);
        assertTrue(producer.errorNext(new TimeoutException("Topic " + REPLY_TO + " not present in metadata after 5000 ms.",
                new UnknownTopicOrPartitionException("This server does not host this topic-partition."))));
        eventually().until(() -> producer.history().size() == 4);
        assertEquals(List.of(REPLY_TO, REPLY_TO, DEAD, DEAD), producer.history().stream().map(ProducerRecord::topic).toList(),
                "req-1's retry went to the dead letters, not to the missing topic");
        assertTrue(producer.completeNext());
        assertTrue(producer.completeNext());
        eventually().until(retrying::isDone);
    }

    @Test
    void a_dead_letter_that_can_never_be_written_is_given_up_at_once_rather_than_holding_the_request() {
        CompletableFuture<Void> written = sender.deadLetter("echo", "v1", null, "{}".getBytes(StandardCharsets.UTF_8),
                List.of(new RecordHeader(HeaderNames.ID, "req-2".getBytes(StandardCharsets.UTF_8))), "instance_crashed", 3, "w1-echo-v1-0", "");
        assertTrue(producer.errorNext(new RecordTooLargeException("too large")));
        eventually().until(written::isDone);
        assertEquals(1, producer.history().size(), "a fatal error is not retried");
    }

    private CompletableFuture<Void> reply(long deadline) {
        return reply(sender, "req-1", deadline);
    }

    private static CompletableFuture<Void> reply(ReplySender sender, String id, long deadline) {
        ConsumerRecord<byte[], byte[]> request = new ConsumerRecord<>(TopicNames.requests("echo", "v1"), 0, 7, null, "{}".getBytes(StandardCharsets.UTF_8));
        request.headers().add(HeaderNames.ID, id.getBytes(StandardCharsets.UTF_8));
        request.headers().add(HeaderNames.REPLY_TO, REPLY_TO.getBytes(StandardCharsets.UTF_8));
        return sender.reply(REPLY_TO, Reply.success(id, TextNode.valueOf("hi")), "echo", "v1", "w1-echo-v1-0", request, deadline);
    }

    private ProducerRecord<byte[], byte[]> last() {
        List<ProducerRecord<byte[], byte[]>> h = producer.history();
        return h.get(h.size() - 1);
    }

    private static String header(ProducerRecord<byte[], byte[]> r, String name) {
        return new String(r.headers().lastHeader(name).value(), StandardCharsets.UTF_8);
    }

    private static ConditionFactory eventually() {
        return Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20));
    }
}
