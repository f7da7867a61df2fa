package katamari.worker.intake;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import katamari.config.KafkaSettings;
import katamari.config.PoolDefinition;
import katamari.config.WorkerSettings;
import katamari.topics.KafkaRecords;
import katamari.topics.Reply;
import katamari.topics.RequestEnvelope;
import katamari.topics.Request;
import katamari.topics.TopicNames;
import katamari.topics.WireCodec;
import katamari.worker.cancel.Cancels;
import katamari.worker.reply.ReplySender;
import katamari.worker.supervisor.FakeChassis;
import katamari.worker.supervisor.OrphanGuard;
import katamari.worker.supervisor.Supervisor;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * One slot on a fake chassis, a fake share group and a {@link MockProducer}: the test decides when the instance
 * answers, when it dies and what time it is, so the orderings the slot must get right are pinned, not hoped for.
 */
class InstanceSlotTest {
    /** One instance, two records per batch (one runs, one waits), two attempts; echo's answers are cached. */
    private static final PoolDefinition POOL = new PoolDefinition("echo", "v1", List.of("/bin/cat"), 1, Duration.ofSeconds(30), 2,
            null, null, Map.of(), null, null, 2).withCache(Map.of("echo", Duration.ofSeconds(30)), null);
    private static final long T0 = 1_764_000_000_000L;

    private final AtomicLong now = new AtomicLong(T0);
    private final InstantSource clock = () -> Instant.ofEpochMilli(now.get());
    private final ShareGroupFake group = new ShareGroupFake(TopicNames.requests(POOL.name(), POOL.version()));
    private final PoolIntake intake = new PoolIntake(POOL, KafkaSettings.defaults(), "w1", 1, group, Duration.ofSeconds(1));
    private final MockProducer<byte[], byte[]> producer = new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());
    private final FakeChassis chassis = new FakeChassis();
    private final OrphanGuard orphans = new OrphanGuard();
    private final List<String> stored = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final Cancels cancels = new Cancels();
    private InstanceSlot slot = slotFor(POOL);
    private Thread slotThread;

    private InstanceSlot slotFor(PoolDefinition pool) {
        return new InstanceSlot(pool, WorkerSettings.defaults(), intake,
                new Supervisor(pool, WorkerSettings.defaults(), "w1-echo-v1-0", orphans, null, chassis),
                new ReplySender(producer, Duration.ofSeconds(1)), cancels, clock,
                (p, method, args, result) -> stored.add(method + " " + args + " -> " + result));
    }

    @AfterEach
    void stop() throws InterruptedException {
        slot.stop();
        intake.stop();
        assertTrue(slot.awaitStopped(Duration.ofSeconds(10)));
        assertTrue(intake.awaitStopped(Duration.ofSeconds(10)));
        orphans.close();
    }

    @Test
    void an_answer_that_is_in_when_the_deadline_passes_wins_and_is_the_only_reply() throws Exception {
        long a = request("a", T0 + 1_000);
        FakeChassis.Proc proc = startAndAwaitCall("a");
        // The slot's thread must already sleep towards the deadline it read (1 s away), or it could read the moved
        // clock before the answer is in and rightly answer "timeout": the race this test once lost 1 run in 5.
        eventually().until(this::slotWaitsForTheAnswer);
        now.set(T0 + 5_000); // the deadline has passed, but the answer comes before the slot looks again
        proc.reply("a", "\"A\"");
        eventually().until(() -> group.acked(a, AcknowledgeType.ACCEPT));
        assertEquals(List.of("a:\"A\""), replies());
        assertTrue(proc.isAlive(), "an answered instance is not stopped");
    }

    @Test
    void a_deadline_that_passes_first_is_answered_timeout_once_and_the_busy_instance_is_stopped() throws Exception {
        long a = request("a", T0 + 1_000);
        FakeChassis.Proc proc = startAndAwaitCall("a");
        now.set(T0 + 5_000);
        eventually().until(() -> group.acked(a, AcknowledgeType.ACCEPT));
        assertEquals(1, producer.history().size());
        assertEquals("timeout", reply(0).error().code());
        eventually().until(() -> !proc.isAlive());
    }

    @Test
    void a_crash_right_after_an_answer_releases_the_call_begun_after_it_and_answers_the_first_once() throws Exception {
        long a = request("a", T0 + 20_000);
        long b = request("b", T0 + 20_000);
        FakeChassis.Proc proc = startAndAwaitCall("a");
        proc.reply("a", "\"A\""); // b waits here: the instance's reader carries the slot on to it
        assertTrue(proc.read().contains("\"id\":\"b\""), "b was written next");
        proc.die(1);
        eventually().until(() -> group.acked(b, AcknowledgeType.RELEASE));
        eventually().until(() -> group.acked(a, AcknowledgeType.ACCEPT));
        assertEquals(List.of("a:\"A\""), replies(), "b is tried again elsewhere, not answered");
        assertFalse(group.acked(b, AcknowledgeType.ACCEPT));
        eventually().until(() -> chassis.started.size() == 2); // the slot replaced its instance
    }

    @Test
    void a_cancelled_record_that_waits_is_acknowledged_never_written_to_the_instance_and_not_answered() throws Exception {
        long a = request("a", T0 + 20_000);
        long b = request("b", T0 + 20_000);
        FakeChassis.Proc proc = startAndAwaitCall("a");
        cancels.cancel("b");
        proc.reply("a", "\"A\"");
        eventually().until(() -> group.acked(b, AcknowledgeType.ACCEPT));
        request("c", T0 + 20_000);
        String next = CompletableFuture.supplyAsync(() -> readLine(proc)).get(10, TimeUnit.SECONDS);
        assertTrue(next.contains("\"id\":\"c\""), "after a, the instance was written c, never b: " + next);
        assertEquals(List.of("a:\"A\""), replies(), "b is answered by no one");
        assertEquals(1L, cancels.counts().get(POOL.key()).get(Cancels.Stage.WAITING));
        proc.reply("c", "\"C\""); // the slot stops only once the call in hand is done
        eventually().until(() -> replies().contains("c:\"C\""));
    }

    @Test
    void a_cancelled_call_that_runs_finishes_and_its_answer_is_dropped_when_the_pool_does_not_cancel_running() throws Exception {
        long a = request("a", T0 + 20_000);
        FakeChassis.Proc proc = startAndAwaitCall("a");
        cancels.cancel("a");
        proc.reply("a", "\"A\"");
        eventually().until(() -> group.acked(a, AcknowledgeType.ACCEPT));
        assertEquals(List.of(), replies());
        assertTrue(proc.isAlive(), "the instance was let finish, not stopped");
        assertEquals(1L, cancels.counts().get(POOL.key()).get(Cancels.Stage.RUNNING));
    }

    @Test
    void with_cancel_running_a_cancelled_call_stops_its_instance_which_is_replaced_and_nobody_is_answered() throws Exception {
        slot = slotFor(POOL.withCancelRunning(true));
        long a = request("a", T0 + 20_000);
        FakeChassis.Proc proc = startAndAwaitCall("a");
        cancels.cancel("a");
        eventually().until(() -> !proc.isAlive());
        eventually().until(() -> group.acked(a, AcknowledgeType.ACCEPT));
        assertFalse(group.acked(a, AcknowledgeType.RELEASE), "a cancelled call is not tried again");
        eventually().until(() -> chassis.started.size() == 2); // replaced, as after a deadline
        assertEquals(List.of(), replies());
        assertEquals(1L, cancels.counts().get(POOL.key()).get(Cancels.Stage.RUNNING));
    }

    private static String readLine(FakeChassis.Proc proc) {
        try {
            return proc.read();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void a_successful_answer_is_stored_for_the_response_cache_and_an_error_is_not() throws Exception {
        long a = request("a", T0 + 20_000);
        long b = request("b", T0 + 20_000);
        FakeChassis.Proc proc = startAndAwaitCall("a");
        proc.say("{\"type\":\"error\",\"id\":\"a\",\"error\":{\"code\":\"handler_error\",\"message\":\"no\"}}");
        assertTrue(proc.read().contains("\"id\":\"b\""), "b was written next");
        proc.reply("b", "\"B\"");
        eventually().until(() -> group.acked(a, AcknowledgeType.ACCEPT) && group.acked(b, AcknowledgeType.ACCEPT));
        assertEquals(List.of("echo {\"text\":\"b\"} -> \"B\""), stored);
    }

    private long request(String id, long deadline) {
        RequestEnvelope e = RequestEnvelope.call(id, "replies", deadline, null,
                new Request("echo", WireCodec.mapper().createObjectNode().put("text", id)));
        return group.add("{\"method\":\"echo\",\"args\":{\"text\":\"" + id + "\"}}", KafkaRecords.headers(e).toArray(new org.apache.kafka.common.header.Header[0]));
    }

    /** The slot's thread sleeps in the relay until its call's answer or deadline (the relay's only timed wait). */
    private boolean slotWaitsForTheAnswer() {
        return slotThread.getState() == Thread.State.TIMED_WAITING && java.util.Arrays.stream(slotThread.getStackTrace())
                .anyMatch(f -> f.getClassName().equals(Relay.class.getName()) && f.getMethodName().equals("carry"));
    }

    private FakeChassis.Proc startAndAwaitCall(String id) throws Exception {
        intake.start();
        Thread t = new Thread(slot, "slot-under-test");
        t.setDaemon(true);
        slotThread = t;
        t.start();
        eventually().until(() -> !chassis.started.isEmpty());
        FakeChassis.Proc proc = chassis.latest();
        String call = proc.read();
        assertTrue(call.contains("\"id\":\"" + id + "\""), call);
        return proc;
    }

    private Reply reply(int i) {
        return WireCodec.decodeReply(producer.history().get(i).value());
    }

    private List<String> replies() {
        return producer.history().stream().map(ProducerRecord::value).map(WireCodec::decodeReply)
                .map(r -> r.id() + ":" + (r.isError() ? r.error().code() : r.result().toString())).toList();
    }

    private static ConditionFactory eventually() {
        return Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(10));
    }
}
