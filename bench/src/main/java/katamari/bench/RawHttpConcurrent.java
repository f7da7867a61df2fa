package katamari.bench;

import java.io.BufferedInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * N closed-loop clients for a fixed duration, each a thread on its own keep-alive socket with the hand-rolled
 * HTTP/1.1 of {@link RawHttpSequential}: the load a lean client puts on the server. {@code java.net.http}
 * ({@link HttpConcurrent}) spends about 0.3 of this box's 2 cores at concurrency 32 on its own hand-offs, which
 * it takes from the server it measures.
 */
final class RawHttpConcurrent {
    ClosedLoop.Result run(String url, String body, int concurrency, Duration warmup, Duration duration) throws Exception {
        URI u = URI.create(url);
        byte[] req = RawHttpSequential.request(u, body);
        Latencies l = new Latencies(5_000_000);
        AtomicLong errors = new AtomicLong();
        AtomicLong done = new AtomicLong();
        long start = System.nanoTime();
        long measureFrom = start + warmup.toNanos();
        long end = measureFrom + duration.toNanos();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < concurrency; i++) {
            Thread t = new Thread(() -> {
                while (System.nanoTime() < end) {
                    try (Socket s = new Socket(u.getHost(), u.getPort())) {
                        s.setTcpNoDelay(true);
                        OutputStream out = s.getOutputStream();
                        InputStream in = new BufferedInputStream(s.getInputStream(), 65536);
                        while (true) {
                            long t0 = System.nanoTime();
                            if (t0 >= end) {
                                return;
                            }
                            int status = RawHttpSequential.exchange(out, in, req);
                            long t1 = System.nanoTime();
                            if (t0 >= measureFrom && t1 <= end) {
                                l.add(t1 - t0);
                                done.incrementAndGet();
                                if (status != 200) {
                                    errors.incrementAndGet();
                                }
                            }
                        }
                    } catch (Exception e) {
                        errors.incrementAndGet(); // a new connection, and on
                    }
                }
            }, "raw-http-" + i);
            t.start();
            threads.add(t);
        }
        for (Thread t : threads) {
            t.join();
        }
        return new ClosedLoop.Result(done.get() / (duration.toNanos() / 1e9), l, errors.get());
    }
}
