package katamari.worker.supervisor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import katamari.config.PoolDefinition;
import katamari.config.WorkerSettings;
import katamari.worker.supervisor.InstanceFailure.Reason;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The supervision of one slot on a fake process and a clock the test moves: when an idle instance is pinged, what a
 * missing pong does, and how a replacement is counted.
 */
class SupervisorTest {
    private static final PoolDefinition POOL = PoolDefinition.of("echo", "v1", List.of("/bin/cat"));
    private static final WorkerSettings SETTINGS = WorkerSettings.defaults()
            .withPingInterval(Duration.ofSeconds(30)).withPingTimeout(Duration.ofMillis(300)).withKillGrace(Duration.ZERO)
            .withMaxBackoff(Duration.ofMillis(1));

    private final AtomicLong now = new AtomicLong(1_764_000_000_000L);
    private final InstantSource clock = () -> Instant.ofEpochMilli(now.get());
    private final FakeChassis chassis = new FakeChassis();
    private final OrphanGuard orphans = new OrphanGuard();
    private final Supervisor supervisor = new Supervisor(POOL, SETTINGS, "w1-echo-v1-0", orphans, null, chassis, clock);

    @AfterEach
    void stop() {
        supervisor.stop();
        Instance i = supervisor.instance();
        if (i != null) {
            i.kill(Duration.ZERO);
        }
        orphans.close();
    }

    @Test
    void an_idle_instance_is_pinged_only_once_the_ping_interval_has_passed_since_its_last_exchange() throws Exception {
        supervisor.replace(null);
        Instance first = supervisor.instance();
        FakeChassis.Proc proc = chassis.latest();

        now.addAndGet(29_999);
        supervisor.pingIfIdle();
        assertTrue(first.isAlive());
        supervisor.exchanged(); // a call was answered: the interval starts again
        now.addAndGet(29_999);
        supervisor.pingIfIdle();

        now.addAndGet(1);
        CompletableFuture<Void> pinged = CompletableFuture.runAsync(supervisor::pingIfIdle);
        String line = proc.read();
        assertTrue(line.contains("\"type\":\"ping\""), "the first line the instance got is the ping: " + line);
        proc.say("{\"type\":\"pong\",\"id\":\"" + line.replaceAll(".*\"id\":\"([^\"]+)\".*", "$1") + "\"}");
        pinged.get(5, TimeUnit.SECONDS);
        assertTrue(first.isAlive(), "an instance that pongs lives on");
    }

    @Test
    void an_idle_instance_that_does_not_pong_in_time_is_killed_as_unresponsive_and_its_replacement_counts_a_restart() throws Exception {
        supervisor.replace(null);
        Instance first = supervisor.instance();
        now.addAndGet(SETTINGS.pingInterval().toMillis());

        supervisor.pingIfIdle(); // the fake never answers: pingTimeout (300 ms) passes

        assertFalse(first.isAlive());
        assertEquals(Reason.UNRESPONSIVE, first.failure().reason());
        assertEquals(0, supervisor.status().restarts());
        supervisor.replace(first);
        assertEquals(1, supervisor.status().restarts());
        assertNotSame(first, supervisor.instance());
        assertEquals(2, chassis.started.size());
    }

    @Test
    void a_launch_that_fails_leaves_no_instance_and_fails_the_first_launch_with_why() {
        Supervisor failing = new Supervisor(POOL, SETTINGS, "w1-echo-v1-1", orphans, null,
                (pool, id) -> { throw new java.io.IOException("no such file"); }, clock);
        failing.replace(null);
        assertNull(failing.instance());
        assertTrue(failing.firstLaunch().isCompletedExceptionally());
        failing.stop();
    }
}
