package katamari.chassis.conformance;

import java.time.Duration;
import java.util.List;

/** What the conformance kit found: one line per check, in the order they ran. */
public record Report(List<String> command, List<Check> checks, Duration took) {
    public enum Outcome { PASS, FAIL, SKIP }

    /**
     * @param detail what was seen on PASS; on FAIL, what went wrong and what a chassis must do instead (may span
     *               several lines); on SKIP, which option turns the check on
     */
    public record Check(String name, Outcome outcome, String detail, Duration took) {}

    public Report {
        command = List.copyOf(command);
        checks = List.copyOf(checks);
    }

    /** True when no check failed (skipped checks do not count against it). */
    public boolean passed() {
        return checks.stream().noneMatch(c -> c.outcome() == Outcome.FAIL);
    }

    public long count(Outcome outcome) {
        return checks.stream().filter(c -> c.outcome() == outcome).count();
    }

    public Check check(String name) {
        return checks.stream().filter(c -> c.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no check named '" + name + "' in " + checks));
    }

    /** The report as printed by {@code bin/katamari chassis-check}. */
    public String render() {
        StringBuilder out = new StringBuilder("Checking chassis: ").append(String.join(" ", command)).append('\n');
        int width = checks.stream().mapToInt(c -> c.name().length()).max().orElse(10) + 2;
        String indent = " ".repeat(6 + width);
        for (Check c : checks) {
            String[] lines = c.detail().split("\n", -1);
            out.append(String.format("%-4s  %-" + width + "s%s", c.outcome(), c.name(), lines[0]));
            if (c.outcome() != Outcome.SKIP) {
                out.append("  (").append(c.took().toMillis()).append(" ms)");
            }
            out.append('\n');
            for (int i = 1; i < lines.length; i++) {
                out.append(indent).append(lines[i]).append('\n');
            }
        }
        out.append(String.format("%d passed, %d failed, %d skipped in %.1f s: %s%n", count(Outcome.PASS), count(Outcome.FAIL),
                count(Outcome.SKIP), took.toMillis() / 1000.0,
                passed() ? "the chassis speaks protocol v1" : "the chassis does NOT conform to protocol v1 (docs/chassis-protocol.md)"));
        return out.toString();
    }
}
