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
    private final java.util.ArrayDeque<ChassisMessage> later = new java.util.ArrayDeque<>();

    Conversation(String kind, BufferedReader in, PrintStream out) {
        this.kind = kind;
        this.in = in;
        this.out = out;
    }

    /** The next message to handle: a call kept for later first, else the next from the agent (null at end of input). */
    ChassisMessage next() throws IOException {
        ChassisMessage kept = later.poll();
        return kept != null ? kept : read();
    }

    /**
     * Keeps a call the agent wrote ahead (pipeline) that arrived while a nested call was awaited: it is handled
     * after the current one.
     */
    void keepForLater(ChassisMessage call) {
        later.add(call);
    }

    /** The next message from the agent, or null at end of input. Lines that are not protocol are logged and skipped. */
    ChassisMessage read() throws IOException {
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
