package katamari.chassis.conformance;

import java.util.List;
import java.util.Map;
import katamari.chassis.Args;
import katamari.chassis.Chassis;

/** A chassis on the Java library with every method the conformance kit can probe, and some stdout noise. */
public final class KitChassis {
    private KitChassis() {}

    public static void main(String[] argv) {
        Chassis.kind("kit")
                .handle("echo", List.of("text"), a -> {
                    System.out.println("noise from System.out in a handler");
                    return a.text("text");
                })
                .handle("boom", List.of(), a -> {
                    throw new IllegalStateException("kaboom");
                })
                .handle("relay", List.of("text"), a -> "relayed: " + a.call("echo", "echo", Map.of("text", a.text("text"))).asText())
                .handle("test_arguments", List.of("cowcat", Chassis.MORE), Args::values)
                .handle("bye", List.of(), a -> Chassis.returnAndExit("bye"))
                .run();
    }
}
