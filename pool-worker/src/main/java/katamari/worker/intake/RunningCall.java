package katamari.worker.intake;

import java.util.concurrent.CompletableFuture;
import katamari.chassis.protocol.ChassisMessage;
import katamari.topics.Request;
import katamari.worker.supervisor.Instance;

/**
 * A record whose call was written to {@code instance} and is not answered yet.
 *
 * @param id       the correlation id, or null (no reply wanted)
 * @param replyTo  where the reply goes, or null (fire-and-forget)
 * @param callId   the call's id on the instance's stdin (the correlation id when there is one)
 * @param deadline epoch ms: the request's own, or the record's time plus the pool's timeout
 * @param delivery which delivery of the record this is (1 for the first), against the pool's {@code attempts}
 * @param request  what was called (a successful answer of a cached method is stored under it)
 * @param stop     what a cancel of {@code id} runs to stop it (a pool with {@code cancelRunning}), or null
 */
record RunningCall(Work work, String id, String replyTo, String callId, long deadline, int delivery, Instance instance,
                   CompletableFuture<ChassisMessage> answer, Request request, Runnable stop) {}
