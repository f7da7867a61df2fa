package katamari.chassis;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import katamari.chassis.protocol.ChassisMessage;
import katamari.chassis.protocol.ProtocolCodec;
import katamari.topics.MalformedRecordException;

/** The chassis's side of the protocol stream: protocol lines in from the agent, protocol lines out to it. */
final class Conversation {
    private final String kind;
    private final BufferedReader in;
    private final PrintStream out;

    Conversation(String kind, BufferedReader in, PrintStream out) {
        this.kind = kind;
        this.in = in;
        this.out = out;
    }

    /** The next message from the agent, or null at end of input. Lines that are not protocol are logged and skipped. */
    ChassisMessage next() throws IOException {
        String line;
        while ((line = in.readLine()) != null) {
            if (line.isBlank()) {
                continue;
            }
            try {
                return ProtocolCodec.decode(line);
            } catch (MalformedRecordException e) {
                log("ignoring a line that is not protocol: " + e.getMessage());
            }
        }
        return null;
    }

    void send(ChassisMessage message) {
        // one write per line, flushed at once: the agent waits for it
        out.print(ProtocolCodec.encode(message) + "\n");
        out.flush();
    }

    void log(String what) {
        System.err.println("chassis " + kind + ": " + what);
    }
}
