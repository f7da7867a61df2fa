package katamari.worker.supervisor;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import katamari.chassis.protocol.ChassisMessage;
import katamari.worker.supervisor.InstanceFailure.Reason;

/**
 * The exchanges written to one instance and not yet answered, oldest first: a ping alone, or up to
 * {@link Instance#MAX_CALLS_IN_FLIGHT} calls. A chassis answers in order, so an answer is for the oldest. Whoever
 * removes an exchange completes it (an answer, a crash, a kill may race for the same one), so each completes once.
 */
final class Exchanges {
    /** @param deadline of a call (epoch ms); 0 for a ping */
    record Exchange(String id, CompletableFuture<ChassisMessage> answer, long deadline) {
        boolean isPing() {
            return deadline == 0;
        }
    }

    private final String tag;
    private final Deque<Exchange> inFlight = new ArrayDeque<>();

    Exchanges(String tag) {
        this.tag = tag;
    }

    /** A new exchange, last in line; refused while a ping is out, for a ping while a call is, or when full. */
    synchronized Exchange add(String id, long deadline) {
        Exchange exchange = new Exchange(id, new CompletableFuture<>(), deadline);
        Exchange oldest = inFlight.peekFirst();
        if (oldest != null && (exchange.isPing() || oldest.isPing() || inFlight.size() >= Instance.MAX_CALLS_IN_FLIGHT)) {
            throw new IllegalStateException(tag + " cannot take a " + (exchange.isPing() ? "ping" : "call") + " now: "
                    + inFlight.size() + " exchange(s) in flight, the oldest '" + oldest.id() + "'");
        }
        inFlight.addLast(exchange);
        return exchange;
    }

    /** The exchange the instance is working on: the one its next answer must be for; null when idle. */
    synchronized Exchange oldest() {
        return inFlight.peekFirst();
    }

    /** Takes {@code exchange} out if it is still the oldest: true for the one caller that must complete it. */
    synchronized boolean removeOldest(Exchange exchange) {
        return inFlight.peekFirst() == exchange && inFlight.pollFirst() != null;
    }

    /**
     * Fails every exchange: the oldest with {@code f} if it was running (not when the instance had announced its
     * exit after answering it), the ones written ahead of it as {@link Reason#NOT_STARTED}, so their records go back
     * without using an attempt.
     */
    void failAll(InstanceFailure f, boolean oldestWasRunning) {
        List<Exchange> all;
        synchronized (this) {
            all = new ArrayList<>(inFlight);
            inFlight.clear();
        }
        boolean running = oldestWasRunning;
        for (Exchange exchange : all) {
            exchange.answer().completeExceptionally(running ? f : new InstanceFailure(Reason.NOT_STARTED,
                    tag + ": ended before it started this call, which was written ahead (" + f.getMessage() + ")", f.stderrTail()));
            running = false;
        }
    }
}
