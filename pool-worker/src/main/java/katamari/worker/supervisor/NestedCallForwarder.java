package katamari.worker.supervisor;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import katamari.chassis.protocol.ChassisMessage;
import katamari.chassis.protocol.ChassisMessage.CallError;
import katamari.chassis.protocol.ChassisMessage.CallPool;
import katamari.chassis.protocol.ChassisMessage.CallResult;
import katamari.topics.ErrorCode;
import katamari.topics.KatamariError;

/** An instance's {@code call_pool}s: forwarded to other pools under the outer call's deadline, one at a time, answered on its stdin. */
final class NestedCallForwarder {
    private final NestedCalls nested;
    /** Set while a nested call of the exchange in flight awaits its answer: one at a time. */
    private final AtomicBoolean inFlight = new AtomicBoolean();

    NestedCallForwarder(NestedCalls nested) {
        this.nested = nested;
    }

    /**
     * Forwards {@code request}, made during the outer call {@code outerId}; its answer is written with {@code write}
     * while {@code outerRuns} still holds (else nobody is listening).
     *
     * @return null, or the protocol violation the request was (the instance is then condemned)
     */
    String forward(CallPool request, String outerId, long outerDeadline, Consumer<ChassisMessage> write, BooleanSupplier outerRuns) {
        if (!inFlight.compareAndSet(false, true)) {
            return "sent call_pool while another nested call was outstanding";
        }
        if (!request.id().startsWith(outerId + ".")) {
            inFlight.set(false);
            write.accept(new CallError(request.id(), KatamariError.of(ErrorCode.BAD_REQUEST,
                    "a nested call's id must start with the outer call's id and a dot ('" + outerId + ".')")));
            return null;
        }
        nested.call(request.id(), request.pool(), request.method(), request.args(), outerDeadline).whenComplete((reply, error) -> {
            inFlight.set(false);
            if (!outerRuns.getAsBoolean()) {
                return; // the outer call is over (answered, timed out, or the instance died): nobody is listening
            }
            if (error != null) {
                write.accept(new CallError(request.id(), KatamariError.of(ErrorCode.INTERNAL, "nested call failed: " + error)));
            } else if (reply.isError()) {
                write.accept(new CallError(request.id(), reply.error()));
            } else {
                write.accept(new CallResult(request.id(), reply.result()));
            }
        });
        return null;
    }
}
