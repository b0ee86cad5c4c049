package org.explain4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@code Main.main} builds only the command its first argument names; what that command prints
 * (help, usage errors, results) must be what the full command line prints.
 */
class OneCommandLineTest {
    private static final List<String> BUILT_IN = List.of("attribute", "explain", "methods", "evaluate", "metrics",
            "demo", "bench");

    private record Out(int code, String out, String err) {
    }

    private static Out run(CommandLine cl, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Out(code, out.toString(), err.toString());
    }

    @Test
    void aBuiltInCommand_isBuiltAlone() {
        CommandLine one = Main.commandLineFor(new String[] {"attribute", "--help"});
        assertThat(one.getSubcommands().keySet()).containsExactly("attribute");
        assertThat(Main.commandLine().getSubcommands().keySet()).containsAll(BUILT_IN).contains("help");
        // help, an option or an unknown word as first argument: everything, as before
        assertThat(Main.commandLineFor(new String[] {"help", "attribute"}).getSubcommands().keySet())
                .containsAll(BUILT_IN).contains("help");
        assertThat(Main.commandLineFor(new String[] {"--version"}).getSubcommands().keySet()).containsAll(BUILT_IN);
        assertThat(Main.commandLineFor(new String[] {"atribute"}).getSubcommands().keySet()).containsAll(BUILT_IN);
        assertThat(Main.commandLineFor(new String[0]).getSubcommands().keySet()).containsAll(BUILT_IN);
    }

    @Test
    void everyCommandsHelp_isTheSameBuiltAloneOrWithTheOthers() {
        for (String c : BUILT_IN) {
            Out alone = run(Main.commandLineFor(new String[] {c, "--help"}), c, "--help");
            Out all = run(Main.commandLine(), c, "--help");
            assertThat(alone.code()).as(c).isEqualTo(0);
            assertThat(alone.out()).as(c).isEqualTo(all.out()).isNotBlank();
        }
        // the methods footer and the catalogue's flags are on attribute's help when built alone
        Out attribute = run(Main.commandLineFor(new String[] {"attribute", "--help"}), "attribute", "--help");
        assertThat(attribute.out()).contains("Methods (explain4j methods lists their parameters)")
                .contains("integrated-gradients").contains("--steps");
        Out evaluate = run(Main.commandLineFor(new String[] {"evaluate", "--help"}), "evaluate", "--help");
        assertThat(evaluate.out()).isEqualTo(run(Main.commandLine(), "evaluate", "--help").out());
    }

    @Test
    void usageErrors_areTheSameBuiltAloneOrWithTheOthers() {
        String[][] cases = {
            {"attribute", "--model", "m.onnx", "--no-such-flag"},
            {"attribute", "--input", "x.npy", "--method", "saliency", "--output", "o.npy"},
            {"attribute", "--model", "missing.onnx", "--input", "x.npy", "--method", "no-such-method", "--output", "o.npy"},
            {"evaluate", "--bogus"},
            {"methods", "extra", "words"},
        };
        for (String[] args : cases) {
            Out alone = run(Main.commandLineFor(args), args);
            Out all = run(Main.commandLine(), args);
            assertThat(alone.code()).as(String.join(" ", args)).isEqualTo(all.code()).isNotZero();
            assertThat(alone.err()).as(String.join(" ", args)).isEqualTo(all.err()).startsWith("explain4j: error: ");
        }
    }
}
