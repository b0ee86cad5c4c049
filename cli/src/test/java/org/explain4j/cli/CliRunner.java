package org.explain4j.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;

/** Runs the command line in-process and captures what it prints. */
final class CliRunner {
    record Run(int exitCode, String out, String err) {
    }

    private CliRunner() {
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        var cl = Main.commandLineFor(args); // as Main.main builds it
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    /** The folder of shared reference data beside the repository. */
    static Path shared() {
        return Path.of(System.getProperty("explain4j.shared", "../../shared"));
    }

    /** The repository's fixture models. */
    static Path fixtures() {
        return Path.of("..", "fixtures", "models");
    }
}
