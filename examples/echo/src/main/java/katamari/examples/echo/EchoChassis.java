package katamari.examples.echo;

import java.util.List;
import katamari.chassis.Chassis;

/** Pool {@code echo}: the smallest useful chassis, and the workload of the benchmarks. */
public final class EchoChassis {
    private EchoChassis() {}

    public static void main(String[] argv) {
        Chassis.kind("echo")
                .handle("echo", List.of("text"), args -> args.text("text"))
                .handle("sleep", List.of("ms"), args -> {
                    long ms = args.longValue("ms");
                    Thread.sleep(ms);
                    return "slept " + ms + " ms";
                })
                .run();
    }
}
