package katamari.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import katamari.config.KafkaSettings;
import katamari.topics.ErrorCode;
import org.junit.jupiter.api.Test;

/**
 * The correlator's orderings, with timers the test controls. No broker: the correlator is never started, so its
 * consumer never connects (expect, fail and the timers need none).
 */
class ReplyCorrelatorTest {
    private static final KafkaSettings NOWHERE = KafkaSettings.defaults().withBootstrap("127.0.0.1:1");

    /** Fires a timer whose delay is already over on the scheduling thread, before schedule() returns: the worst case. */
    private static final class EagerTimers extends ScheduledThreadPoolExecutor {
        EagerTimers() {
            super(1);
        }

        @Override
        public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
            if (delay <= 0) {
                command.run();
            }
            return super.schedule(delay <= 0 ? () -> {} : command, delay, unit);
        }
    }

    @Test
    void a_call_whose_deadline_has_passed_times_out_even_when_its_timer_fires_at_once() throws Exception {
        try (ReplyCorrelator c = new ReplyCorrelator(NOWHERE, "replies", 1, new EagerTimers())) {
            CompletableFuture<Answer> answer = c.expect("id-1", System.currentTimeMillis() - 5);
            assertTrue(answer.isDone(), "the timer found the entry and answered it");
            assertEquals(ErrorCode.TIMEOUT, answer.get().reply().error().knownCode());
            // the entry is gone with its answer: the same id may be expected again
            assertFalse(c.expect("id-1", System.currentTimeMillis() + 60_000).isDone());
        }
    }

    @Test
    void a_second_expect_of_a_pending_id_is_refused_and_the_first_still_times_out() throws Exception {
        try (ReplyCorrelator c = new ReplyCorrelator(NOWHERE, "replies", 1, new ScheduledThreadPoolExecutor(1))) {
            CompletableFuture<Answer> first = c.expect("dup", System.currentTimeMillis() + 200);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.expect("dup", System.currentTimeMillis() + 60_000));
            assertTrue(e.getMessage().contains("already pending"), e.getMessage());
            assertEquals(ErrorCode.TIMEOUT, first.get(5, TimeUnit.SECONDS).reply().error().knownCode());
        }
    }

    @Test
    void a_failed_send_answers_at_once_and_cancels_the_timer() throws Exception {
        ScheduledThreadPoolExecutor timers = new ScheduledThreadPoolExecutor(1);
        timers.setRemoveOnCancelPolicy(true);
        try (ReplyCorrelator c = new ReplyCorrelator(NOWHERE, "replies", 1, timers)) {
            CompletableFuture<Answer> answer = c.expect("gone", System.currentTimeMillis() + 60_000);
            assertEquals(1, timers.getQueue().size());
            c.fail("gone", katamari.topics.KatamariError.of(ErrorCode.INTERNAL, "send failed"));
            assertEquals(ErrorCode.INTERNAL, answer.get().reply().error().knownCode());
            assertEquals(0, timers.getQueue().size(), "its timer left the queue");
        }
    }

    @Test
    void a_deadline_timer_waits_the_time_left_by_the_correlators_clock_not_the_wall_clock() throws Exception {
        long t0 = 1_764_000_000_000L; // long ago: by the wall clock every deadline near it has passed
        ScheduledThreadPoolExecutor timers = new ScheduledThreadPoolExecutor(1);
        try (ReplyCorrelator c = new ReplyCorrelator(NOWHERE, "replies", 1, timers, () -> java.time.Instant.ofEpochMilli(t0))) {
            CompletableFuture<Answer> answer = c.expect("later", t0 + 30_000);
            long delay = ((java.util.concurrent.Delayed) timers.getQueue().peek()).getDelay(TimeUnit.MILLISECONDS);
            assertTrue(delay > 29_000 && delay <= 30_000, "timer in " + delay + " ms");
            assertFalse(answer.isDone());
        }
    }

    @Test
    void abandoning_a_call_answers_it_once_and_names_both_ids_it_went_out_under() throws Exception {
        try (ReplyCorrelator c = new ReplyCorrelator(NOWHERE, "replies", 1, new ScheduledThreadPoolExecutor(1))) {
            CompletableFuture<Answer> answer = c.expect("call", System.currentTimeMillis() + 60_000);
            assertTrue(c.alsoExpect("call.hedge", "call"));
            assertEquals(java.util.List.of(), c.abandon("call.hedge", katamari.topics.KatamariError.of(ErrorCode.CANCELLED, "x")),
                    "a hedge copy's id does not abandon its call");
            assertFalse(answer.isDone());
            assertEquals(java.util.List.of("call", "call.hedge"), c.abandon("call", katamari.topics.KatamariError.of(ErrorCode.CANCELLED, "gone")));
            assertEquals(ErrorCode.CANCELLED, answer.get().reply().error().knownCode());
            assertEquals(java.util.List.of(), c.abandon("call", katamari.topics.KatamariError.of(ErrorCode.CANCELLED, "again")),
                    "an answered call is not abandoned twice: a cancel of a finished id is a no-op");
            assertFalse(c.expect("call.hedge", System.currentTimeMillis() + 60_000).isDone(), "the copy's id was let go too");
        }
    }
}
