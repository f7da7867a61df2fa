package katamari.cli;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.CountDownLatch;

/** Keeps the roles one process runs, and stops them in reverse order on SIGINT/SIGTERM (or any JVM exit). */
final class Roles {
    private final Deque<AutoCloseable> started = new ArrayDeque<>();
    private final CountDownLatch stopped = new CountDownLatch(1);

    Roles() {
        Runtime.getRuntime().addShutdownHook(new Thread(this::stopAll, "katamari-shutdown"));
    }

    synchronized <T extends AutoCloseable> T add(T role) {
        started.push(role);
        return role;
    }

    private void stopAll() {
        AutoCloseable role;
        while ((role = pop()) != null) {
            try {
                role.close();
            } catch (Exception e) {
                System.err.println("katamari: stopping " + role.getClass().getSimpleName() + " failed: " + e);
            }
        }
        stopped.countDown();
    }

    private synchronized AutoCloseable pop() {
        return started.poll();
    }

    /** Blocks the main thread until the process is told to stop. */
    void awaitShutdown() throws InterruptedException {
        stopped.await();
    }
}
