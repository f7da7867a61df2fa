package katamari.it.chassis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import katamari.cli.Main;
import katamari.it.support.Katamari;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code bin/katamari chassis-check} as a chassis author uses it: a report of PASS/FAIL lines and an exit status. */
class ChassisCheckCommandTest {
    private record Run(int status, String out) {}

    private static Run chassisCheck(String... args) {
        StringWriter out = new StringWriter();
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(out, true));
        String[] argv = new String[args.length + 1];
        argv[0] = "chassis-check";
        System.arraycopy(args, 0, argv, 1, args.length);
        return new Run(cli.execute(argv), out.toString());
    }

    @Test
    void a_conforming_chassis_prints_pass_lines_and_exits_0() {
        Run run = chassisCheck("--dir", Katamari.HOME.toString(), "--method", "echo", "--args", "{\"text\":\"hi\"}", "--text-arg", "text",
                "--", "python3", "examples/wordcount/wordcount.py");
        assertEquals(0, run.status(), run.out());
        assertTrue(run.out().contains("PASS  1 MB payload"), run.out());
        assertTrue(run.out().contains("the chassis speaks protocol v1"), run.out());
    }

    @Test
    void a_chassis_that_prints_to_stdout_fails_with_the_line_and_exits_1() {
        Run run = chassisCheck("--", "python3", "-c", "print('Loading model...')");
        assertEquals(1, run.status(), run.out());
        assertTrue(run.out().contains("FAIL  hello"), run.out());
        assertTrue(run.out().contains("Loading model..."), run.out());
        assertTrue(run.out().contains("Logs belong on stderr"), run.out());
    }

    @Test
    void arguments_that_are_not_a_json_object_are_refused_before_running() {
        Run run = chassisCheck("--method", "echo", "--args", "[1]", "--", "python3", "examples/wordcount/wordcount.py");
        assertTrue(run.status() != 0 && run.out().contains("JSON object"), run.out());
    }
}
