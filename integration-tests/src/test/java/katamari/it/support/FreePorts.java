package katamari.it.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;

/** Ports on 127.0.0.1 nobody listens on right now, for roles a test starts on fixed ports (a master list needs them up front). */
public final class FreePorts {
    private FreePorts() {}

    /** {@code n} distinct free ports: all are held open until every one is picked, so none is handed out twice. */
    public static int[] pick(int n) {
        int[] ports = new int[n];
        List<ServerSocket> held = new ArrayList<>();
        try {
            for (int i = 0; i < n; i++) {
                ServerSocket s = new ServerSocket(0);
                held.add(s);
                ports[i] = s.getLocalPort();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("no free port", e);
        } finally {
            for (ServerSocket s : held) {
                try {
                    s.close();
                } catch (IOException e) {
                    // closing a probe: nothing to do
                }
            }
        }
        return ports;
    }
}
