package katamari.worker.supervisor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import katamari.chassis.protocol.ChassisMessage;
import katamari.chassis.protocol.ChassisMessage.Call;
import katamari.chassis.protocol.ChassisMessage.Pong;
import katamari.chassis.protocol.ChassisMessage.Result;
import katamari.config.PoolDefinition;
import katamari.topics.WireCodec;
import katamari.worker.supervisor.InstanceFailure.Reason;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * One {@link Instance} on a fake process: the test writes the chassis's stdout and ends the process, so which call a
 * crash fails, which one it only releases, and what an off-protocol line does are pinned without a real child.
 */
class InstanceTest {
    private static final PoolDefinition POOL = PoolDefinition.of("echo", "v1", List.of("/bin/cat"));
    private static final long DEADLINE = System.currentTimeMillis() + 60_000;

    private final FakeChassis chassis = new FakeChassis();
    private Instance instance;

    @AfterEach
    void stop() {
        if (instance != null) {
            instance.kill(Duration.ZERO);
        }
    }

    @Test
    void a_crash_with_a_call_written_ahead_fails_the_running_call_and_releases_the_next_as_not_started() throws Exception {
        launch();
        CompletableFuture<ChassisMessage> running = instance.call(call("a"));
        CompletableFuture<ChassisMessage> ahead = instance.call(call("b"));
        FakeChassis.Proc proc = chassis.latest();
        assertTrue(proc.read().contains("\"id\":\"a\""));
        assertTrue(proc.read().contains("\"id\":\"b\""), "b was written ahead, before a was answered");

        proc.die(1);

        assertEquals(Reason.CRASHED, failure(running).reason());
        assertEquals(Reason.NOT_STARTED, failure(ahead).reason(), "the call written ahead never started");
        assertFalse(instance.isAlive());
    }

    @Test
    void an_instance_that_announced_its_exit_ends_without_failing_the_call_it_answered_and_releases_the_next() throws Exception {
        launch();
        CompletableFuture<ChassisMessage> first = instance.call(call("a"));
        CompletableFuture<ChassisMessage> ahead = instance.call(call("b"));
        FakeChassis.Proc proc = chassis.latest();
        proc.say("{\"type\":\"reply\",\"id\":\"a\",\"result\":\"A\",\"exit\":true}");
        Result answered = assertInstanceOf(Result.class, first.get(10, TimeUnit.SECONDS));
        assertEquals("A", answered.result().asText());
        assertTrue(instance.exitAnnounced());

        proc.die(0);

        assertEquals(Reason.NOT_STARTED, failure(ahead).reason(), "a recycle is not a crash of the call after it");
    }

    @Test
    void answers_complete_calls_in_the_order_they_were_written() throws Exception {
        launch();
        CompletableFuture<ChassisMessage> a = instance.call(call("a"));
        CompletableFuture<ChassisMessage> b = instance.call(call("b"));
        FakeChassis.Proc proc = chassis.latest();
        proc.reply("a", "\"A\"");
        proc.reply("b", "\"B\"");
        assertEquals("A", ((Result) a.get(10, TimeUnit.SECONDS)).result().asText());
        assertEquals("B", ((Result) b.get(10, TimeUnit.SECONDS)).result().asText());
        assertTrue(instance.isAlive());
    }

    @Test
    void an_answer_for_an_id_that_is_not_the_oldest_condemns_the_instance() throws Exception {
        launch();
        CompletableFuture<ChassisMessage> a = instance.call(call("a"));
        instance.call(call("b"));
        chassis.latest().reply("b", "\"B\""); // out of order: a chassis answers in order

        InstanceFailure f = failure(a);
        assertEquals(Reason.GARBAGE, f.reason());
        assertTrue(f.getMessage().contains("answered id 'b' while 'a' was in flight"), f.getMessage());
        assertFalse(instance.isAlive());
    }

    @Test
    void a_line_that_is_not_protocol_condemns_the_instance_and_fails_its_call() throws Exception {
        launch();
        CompletableFuture<ChassisMessage> a = instance.call(call("a"));
        chassis.latest().say("print debugging went to stdout");
        assertEquals(Reason.GARBAGE, failure(a).reason());
        assertFalse(instance.isAlive());
    }

    @Test
    void a_ping_waits_for_no_call_and_a_call_cannot_join_a_ping_or_a_full_pipeline() throws Exception {
        launch();
        CompletableFuture<ChassisMessage> ping = instance.ping("p1");
        assertThrows(IllegalStateException.class, () -> instance.call(call("a")), "a ping is alone in flight");
        FakeChassis.Proc proc = chassis.latest();
        assertTrue(proc.read().contains("\"type\":\"ping\""));
        proc.say("{\"type\":\"pong\",\"id\":\"p1\"}");
        assertInstanceOf(Pong.class, ping.get(10, TimeUnit.SECONDS));

        instance.call(call("a"));
        instance.call(call("b"));
        assertThrows(IllegalStateException.class, () -> instance.call(call("c")), "at most two calls in flight");
        assertThrows(IllegalStateException.class, () -> instance.ping("p2"), "no ping while a call runs");
    }

    @Test
    void a_call_to_an_instance_that_has_died_fails_at_once_instead_of_waiting() throws Exception {
        launch();
        chassis.latest().die(1);
        Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(10)).until(() -> !instance.isAlive());
        assertEquals(Reason.CRASHED, failure(instance.call(call("late"))).reason());
    }

    @Test
    void no_hello_within_the_launch_timeout_is_a_launch_failure_and_the_process_is_killed() {
        FakeChassis.Proc[] silent = new FakeChassis.Proc[1];
        ProcessLauncher mute = (pool, id) -> silent[0] = new FakeChassis.Proc();
        InstanceFailure f = assertThrows(InstanceFailure.class,
                () -> Instance.launch(mute, POOL, "i0", Duration.ofMillis(200), null, pid -> { }));
        assertEquals(Reason.LAUNCH_FAILED, f.reason());
        assertTrue(f.getMessage().contains("no hello within 200 ms"), f.getMessage());
        assertFalse(silent[0].isAlive(), "the silent process was killed");
    }

    @Test
    void a_hello_that_lacks_a_cached_method_fails_the_launch_naming_the_field_and_the_method() {
        PoolDefinition cached = POOL.withCache(java.util.Map.of("echo", Duration.ofSeconds(30), "count", Duration.ofSeconds(60)), null);
        InstanceFailure f = assertThrows(InstanceFailure.class,
                () -> Instance.launch(chassis, cached, "i0", Duration.ofSeconds(10), null, p -> { }));
        assertEquals(Reason.LAUNCH_FAILED, f.reason());
        assertTrue(f.getMessage().contains("'cache'") && f.getMessage().contains("[count]") && f.getMessage().contains("[echo]"), f.getMessage());
        assertFalse(chassis.latest().isAlive(), "the refused instance is stopped");
    }

    @Test
    void a_hello_that_declares_every_cached_method_launches() throws InstanceFailure {
        instance = Instance.launch(chassis, POOL.withCache(java.util.Map.of("echo", Duration.ofSeconds(30)), null), "i0",
                Duration.ofSeconds(10), null, p -> { });
        assertTrue(instance.isAlive());
    }

    private void launch() throws InstanceFailure {
        long[] pid = {0};
        instance = Instance.launch(chassis, POOL, "i0", Duration.ofSeconds(10), null, p -> pid[0] = p);
        assertEquals(FakeChassis.PID, pid[0], "the pid is told before the hello");
    }

    private static Call call(String id) {
        return new Call(id, "echo", WireCodec.mapper().createObjectNode().put("text", id), DEADLINE);
    }

    private static InstanceFailure failure(CompletableFuture<ChassisMessage> answer) throws Exception {
        ExecutionException e = assertThrows(ExecutionException.class, () -> answer.get(10, TimeUnit.SECONDS));
        return assertInstanceOf(InstanceFailure.class, e.getCause());
    }
}
