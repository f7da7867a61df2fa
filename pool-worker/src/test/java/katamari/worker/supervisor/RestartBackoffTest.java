package katamari.worker.supervisor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RestartBackoffTest {
    private final RestartBackoff backoff = new RestartBackoff(Duration.ofMillis(1000), Duration.ofSeconds(30));

    @Test
    void first_restart_is_immediate_then_delays_double_up_to_the_ceiling() {
        assertEquals(Duration.ZERO, backoff.nextDelay());
        backoff.failed(Duration.ofMillis(10));
        assertEquals(Duration.ZERO, backoff.nextDelay());
        backoff.failed(Duration.ofMillis(10));
        assertEquals(Duration.ofMillis(100), backoff.nextDelay());
        backoff.failed(Duration.ofMillis(10));
        assertEquals(Duration.ofMillis(200), backoff.nextDelay());
        for (int i = 0; i < 10; i++) {
            backoff.failed(Duration.ofMillis(10));
        }
        assertEquals(Duration.ofMillis(1000), backoff.nextDelay());
        assertEquals(13, backoff.consecutiveFailures());
    }

    @Test
    void an_instance_that_stayed_up_long_enough_resets_the_count() {
        for (int i = 0; i < 5; i++) {
            backoff.failed(Duration.ofMillis(10));
        }
        backoff.failed(Duration.ofSeconds(31));
        assertEquals(1, backoff.consecutiveFailures());
        assertEquals(Duration.ZERO, backoff.nextDelay());
    }
}
