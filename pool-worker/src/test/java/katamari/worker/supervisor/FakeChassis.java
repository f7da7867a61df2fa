package katamari.worker.supervisor;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.Pipe;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.List;
import katamari.config.PoolDefinition;

/**
 * A {@link ProcessLauncher} whose "processes" live in the test: each says hello for method {@code echo(text)} and
 * then does only what the test tells it, so a test decides when a call is answered and when the instance dies.
 */
public final class FakeChassis implements ProcessLauncher {
    /** A pid no process has (above Linux's pid_max), so the orphan guard's kill misses. */
    public static final long PID = Integer.MAX_VALUE;
    public final List<Proc> started = new CopyOnWriteArrayList<>();

    @Override
    public Process start(PoolDefinition pool, String instanceId) throws IOException {
        Proc p = new Proc();
        started.add(p);
        p.say("{\"type\":\"hello\",\"protocol\":1,\"kind\":\"fake\",\"methods\":{\"echo\":{\"args\":[\"text\"]}}}");
        return p;
    }

    public Proc latest() {
        return started.get(started.size() - 1);
    }

    /** One fake process: the agent's stdin is readable here, its stdout writable. */
    public static final class Proc extends Process {
        private final Pipe stdin = open();
        private final Pipe stdout = open();
        private final Pipe stderr = open();
        private final OutputStream out = Channels.newOutputStream(stdout.sink());
        private final BufferedReader calls = new BufferedReader(new InputStreamReader(Channels.newInputStream(stdin.source()), StandardCharsets.UTF_8));
        private final CompletableFuture<Integer> exit = new CompletableFuture<>();

        /** The next line the agent wrote to the instance's stdin. */
        public String read() throws IOException {
            return calls.readLine();
        }

        /** Writes one line to the instance's stdout, as the chassis would. */
        public synchronized void say(String line) {
            try {
                out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        public void reply(String id, String resultJson) {
            say("{\"type\":\"reply\",\"id\":\"" + id + "\",\"result\":" + resultJson + "}");
        }

        /** The process dies: stdout closes, the exit status is {@code code}. */
        public void die(int code) {
            exit.complete(code);
            try {
                out.close();
                stderr.sink().close();
            } catch (IOException ignored) {
                // closed already
            }
        }

        /** A chassis exits when its stdin closes: so does this one. */
        @Override
        public OutputStream getOutputStream() {
            return new java.io.FilterOutputStream(Channels.newOutputStream(stdin.sink())) {
                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    out.write(b, off, len);
                }

                @Override
                public void close() throws IOException {
                    super.close();
                    die(0);
                }
            };
        }

        @Override
        public InputStream getInputStream() {
            return Channels.newInputStream(stdout.source());
        }

        @Override
        public InputStream getErrorStream() {
            return Channels.newInputStream(stderr.source());
        }

        @Override
        public int waitFor() throws InterruptedException {
            try {
                return exit.get();
            } catch (java.util.concurrent.ExecutionException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public boolean waitFor(long timeout, TimeUnit unit) throws InterruptedException {
            try {
                exit.get(timeout, unit);
                return true;
            } catch (java.util.concurrent.TimeoutException e) {
                return false;
            } catch (java.util.concurrent.ExecutionException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public int exitValue() {
            if (!exit.isDone()) {
                throw new IllegalThreadStateException("still running");
            }
            return exit.join();
        }

        @Override
        public void destroy() {
            die(143);
        }

        @Override
        public Process destroyForcibly() {
            die(137);
            return this;
        }

        @Override
        public boolean isAlive() {
            return !exit.isDone();
        }

        @Override
        public long pid() {
            return PID;
        }

        private static Pipe open() {
            try {
                return Pipe.open();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
