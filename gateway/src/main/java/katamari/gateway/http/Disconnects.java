package katamari.gateway.http;

import io.javalin.http.Context;
import java.io.IOException;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicReference;
import org.eclipse.jetty.ee10.servlet.ServletContextRequest;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.SocketChannelEndPoint;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Notices HTTP clients that leave before their call is answered, so that the call can be cancelled.
 *
 * <p>Why not Jetty's own signals: while a request is handled asynchronously, Jetty 12's {@code HttpConnection} has no
 * read interest in its connection ({@code onFillable} returns once the request is handed over, and fills again only
 * after the response is complete), so a client that closes is noticed only when the answer is written;
 * {@code Request.addFailureListener} and the servlet {@code AsyncListener.onError} fire then, too late. And a read
 * interest set on Jetty's own endpoint makes Jetty abort the connection when the response completes ("Pending read in
 * onCompleted"), which would end keep-alive.
 *
 * <p>So this class's thread registers the connection's socket with a selector of its own (a channel may be registered
 * with several selectors) for reading, and when the socket turns readable, asks how many bytes wait without reading
 * them: none means the client closed (end of stream, or a reset); some means it sent more (a pipelined request),
 * which is left to Jetty and stops the watch. Only calls still pending {@link #ARM_AFTER} after they arrived are
 * watched: most are answered sooner and pay nothing. A client that half-closes its side after sending the request
 * counts as gone. Connections that are not plain sockets (none today) are not watched.
 */
final class Disconnects implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Disconnects.class);
    /** Calls answered sooner are never watched (a registration costs a system call and a key). */
    static final Duration ARM_AFTER = Duration.ofMillis(100);
    /** How often the thread looks at new calls and at answered ones; also the worst delay in noticing a client gone. */
    private static final long SELECT_MS = 50;

    /** One call whose client is watched; {@code gone} runs at most once, and never after {@code done}. */
    private record Watch(SocketChannel channel, CompletableFuture<?> done, Runnable gone, long armAtNanos) {}

    private enum State { NEW, RUNNING, CLOSED }

    private final AtomicReference<State> state = new AtomicReference<>(State.NEW);
    private final Queue<Watch> arriving = new ConcurrentLinkedQueue<>();
    /** Calls not armed yet, oldest first; the thread's own. */
    private final ArrayDeque<Watch> waiting = new ArrayDeque<>();
    private Selector selector;
    private Thread thread;

    void start() {
        if (!state.compareAndSet(State.NEW, State.RUNNING)) {
            throw new IllegalStateException("disconnect watch cannot be started more than once (state " + state.get() + ")");
        }
        try {
            selector = Selector.open();
        } catch (IOException e) {
            throw new IllegalStateException("cannot open a selector to watch for HTTP clients that leave", e);
        }
        thread = new Thread(this::run, "http-disconnects");
        thread.setDaemon(true);
        thread.start();
    }

    /** Runs {@code gone} if the client of {@code ctx} leaves before {@code done} completes. */
    void watch(Context ctx, CompletableFuture<?> done, Runnable gone) {
        EndPoint endPoint;
        try {
            endPoint = ServletContextRequest.getServletContextRequest(ctx.req()).getConnectionMetaData().getConnection().getEndPoint();
        } catch (IllegalStateException e) {
            return; // not a request of Jetty's servlet layer
        }
        watch(endPoint, done, gone);
    }

    /** Runs {@code gone} if the client on {@code endPoint} leaves before {@code done} completes (plain sockets only). */
    void watch(EndPoint endPoint, CompletableFuture<?> done, Runnable gone) {
        if (done.isDone() || state.get() != State.RUNNING || !(endPoint instanceof SocketChannelEndPoint socket)) {
            return;
        }
        arriving.add(new Watch(socket.getChannel(), done, gone, System.nanoTime() + ARM_AFTER.toNanos()));
    }

    private void run() {
        try {
            while (state.get() == State.RUNNING) {
                selector.select(SELECT_MS);
                for (Iterator<SelectionKey> it = selector.selectedKeys().iterator(); it.hasNext(); ) {
                    SelectionKey key = it.next();
                    it.remove();
                    key.cancel(); // readable: the client closed, or sent more; either way this call's watch is over
                    Watch w = (Watch) key.attachment();
                    if (!w.done().isDone() && clientClosed(w.channel())) {
                        gone(w);
                    }
                }
                for (SelectionKey key : selector.keys()) {
                    if (key.isValid() && ((Watch) key.attachment()).done().isDone()) {
                        key.cancel();
                    }
                }
                arm();
            }
        } catch (IOException | RuntimeException e) {
            if (state.get() == State.RUNNING) {
                LOG.error("the watch for HTTP clients that leave failed; their calls are no longer cancelled", e);
            }
        }
    }

    /** Registers the calls due for watching; a channel whose last watch is not deregistered yet is tried next round. */
    private void arm() {
        for (Watch w = arriving.poll(); w != null; w = arriving.poll()) {
            waiting.addLast(w);
        }
        long now = System.nanoTime();
        List<Watch> later = new ArrayList<>();
        while (!waiting.isEmpty() && waiting.peekFirst().armAtNanos() - now <= 0) {
            Watch w = waiting.pollFirst();
            if (w.done().isDone()) {
                continue;
            }
            try {
                w.channel().register(selector, SelectionKey.OP_READ, w);
            } catch (CancelledKeyException e) {
                later.add(w); // the previous call on this keep-alive connection: its key goes at the next select
            } catch (ClosedChannelException e) {
                gone(w); // closed already: nobody can receive the answer
            }
        }
        later.forEach(waiting::addFirst);
    }

    /** True when the client will send nothing more: end of stream, a reset, or a socket closed meanwhile. */
    private static boolean clientClosed(SocketChannel channel) {
        try {
            // available() asks the kernel (FIONREAD) and reads nothing, so bytes that did come stay Jetty's
            return channel.socket().getInputStream().available() == 0;
        } catch (IOException e) {
            return true;
        }
    }

    private static void gone(Watch w) {
        try {
            w.gone().run();
        } catch (RuntimeException e) {
            LOG.warn("cancelling the call of an HTTP client that left failed", e);
        }
    }

    @Override
    public void close() {
        if (state.getAndSet(State.CLOSED) != State.RUNNING) {
            return;
        }
        selector.wakeup();
        try {
            thread.join(2000);
            selector.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            LOG.debug("closing the disconnect selector", e);
        }
    }
}
