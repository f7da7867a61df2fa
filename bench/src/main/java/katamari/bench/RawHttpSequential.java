package katamari.bench;

import java.io.BufferedInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;

/** Sequential HTTP/1.1 over one keep-alive socket, hand-rolled: what the server costs, without java.net.http's overhead. */
final class RawHttpSequential {
    Latencies run(String url, String body, int warmup, int count) throws Exception {
        URI u = URI.create(url);
        byte[] req = request(u, body);
        try (Socket s = new Socket(u.getHost(), u.getPort())) {
            s.setTcpNoDelay(true);
            OutputStream out = s.getOutputStream();
            InputStream in = new BufferedInputStream(s.getInputStream(), 65536);
            for (int i = 0; i < warmup; i++) {
                once(out, in, req);
            }
            Latencies l = new Latencies(count);
            for (int i = 0; i < count; i++) {
                long t0 = System.nanoTime();
                once(out, in, req);
                l.add(System.nanoTime() - t0);
            }
            return l;
        }
    }

    /** One HTTP/1.1 POST of {@code body} to {@code u}'s path, keep-alive. */
    static byte[] request(URI u, String body) {
        return ("POST " + u.getPath() + " HTTP/1.1\r\nHost: " + u.getHost() + ":" + u.getPort()
                + "\r\nContent-Type: application/json\r\nContent-Length: " + body.getBytes(StandardCharsets.UTF_8).length
                + "\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8);
    }

    private static void once(OutputStream out, InputStream in, byte[] req) throws Exception {
        int status = exchange(out, in, req);
        if (status != 200) throw new IllegalStateException("status " + status);
    }

    /** Writes {@code req}, reads the whole response; returns its status. */
    static int exchange(OutputStream out, InputStream in, byte[] req) throws Exception {
        out.write(req);
        out.flush();
        StringBuilder line = new StringBuilder();
        int contentLength = -1;
        boolean chunked = false;
        int status = -1;
        while (true) {
            line.setLength(0);
            int c;
            while ((c = in.read()) != '\n') {
                if (c < 0) throw new IllegalStateException("connection closed");
                if (c != '\r') line.append((char) c);
            }
            if (line.length() == 0) break;
            String h = line.toString();
            if (status < 0) {
                status = Integer.parseInt(h.split(" ")[1]);
            } else if (h.regionMatches(true, 0, "content-length:", 0, 15)) {
                contentLength = Integer.parseInt(h.substring(15).trim());
            } else if (h.regionMatches(true, 0, "transfer-encoding:", 0, 18) && h.toLowerCase().contains("chunked")) {
                chunked = true;
            }
        }
        if (chunked) {
            while (true) {
                line.setLength(0);
                int c;
                while ((c = in.read()) != '\n') if (c != '\r') line.append((char) c);
                int size = Integer.parseInt(line.toString().trim(), 16);
                in.skipNBytes(size + 2);
                if (size == 0) break;
            }
        } else {
            in.skipNBytes(contentLength);
        }
        return status;
    }
}
