package katamari.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** {@code bin/katamari bench} refuses what it cannot run with exit code 2 and a message that says why, before it starts anything. */
class BenchCommandTest {
    private record Outcome(int code, String err) {}

    private static Outcome bench(String... args) {
        StringWriter err = new StringWriter();
        String[] all = new String[args.length + 1];
        all[0] = "bench";
        System.arraycopy(args, 0, all, 1, args.length);
        int code = Main.commandLine().setErr(new PrintWriter(err, true)).execute(all);
        return new Outcome(code, err.toString());
    }

    private static void refused(Outcome o, String why) {
        assertEquals(2, o.code(), o.err());
        assertTrue(o.err().contains(why), "expected '" + why + "' in: " + o.err());
    }

    @Test
    void scale_out_refuses_agent_counts_that_do_not_increase() {
        refused(bench("--mode", "scale-out", "--agents", "2,1"), "--agents must increase (agents are added, never removed), was [2, 1]");
    }

    @Test
    void scale_out_refuses_more_agents_than_a_local_cluster_has_ports_for() {
        refused(bench("--mode", "scale-out", "--agents", "1,11"), "--agents: each count must be 1-10");
    }

    @Test
    void scale_out_refuses_a_backlog_no_added_agent_could_take_from() {
        refused(bench("--mode", "scale-out", "--backlog", "1"), "--backlog must be at least 2 for scale-out");
    }

    @Test
    void scale_out_refuses_both_pipeline_settings_at_once() {
        refused(bench("--mode", "scale-out", "--pipeline", "on,off"), "scale-out runs one pool: --pipeline on or off");
    }

    @Test
    void scale_out_refuses_instances_per_agent_out_of_range() {
        refused(bench("--mode", "scale-out", "--per-agent", "0"), "--per-agent must be 1-64 instances, was 0");
    }

    @Test
    void a_count_that_is_not_a_number_is_a_usage_error() {
        refused(bench("--mode", "scale-out", "--agents", "1,two"), "Invalid value for option '--agents'");
    }

    @Test
    void an_unknown_mode_is_refused_before_the_modes_before_it_run() {
        refused(bench("--mode", "scale-out,scale-up"), "unknown mode 'scale-up'; known: http, raw,");
    }
}
