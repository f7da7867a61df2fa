package katamari.worker.intake;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.List;
import katamari.config.PoolDefinition;
import katamari.config.WorkerSettings;
import katamari.worker.InstanceStatus.State;
import org.junit.jupiter.api.Test;

/** What a slot reports for the heartbeat's counts (issue 14: /cluster counted draining slots as running). */
class InstanceSlotStatusTest {
    @Test
    void a_slot_asked_to_stop_counts_as_stopping_until_it_has_stopped() {
        PoolDefinition pool = PoolDefinition.of("echo", "v1", List.of("/bin/cat")).withTimeout(Duration.ofSeconds(8));
        InstanceSlot slot = new InstanceSlot(pool, WorkerSettings.defaults(), null, "w1-echo-v1-0", null, new katamari.worker.cancel.Cancels(),
                null, null, AnswerStore.NONE);
        assertEquals(State.STARTING, slot.status().state());
        slot.stop();
        assertEquals(State.STOPPING, slot.status().state(), "draining after a scale-down: not part of the running count");
    }
}
