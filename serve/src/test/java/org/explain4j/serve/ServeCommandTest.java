package org.explain4j.serve;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.explain4j.cli.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code explain4j serve} on the command line: found as a plugin, its flags checked with one-line errors. */
class ServeCommandTest {
    @TempDir
    Path tmp;

    record Run(int code, String err) {
    }

    static Run run(String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        cl.setOut(new PrintWriter(new StringWriter()));
        int code = cl.execute(args);
        return new Run(code, err.toString());
    }

    @Test
    void serveIsASubcommandOfExplain4j() {
        assertThat(Main.commandLine().getSubcommands()).containsKey("serve");
        StringWriter out = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(out));
        assertThat(cl.execute("serve", "--help")).isZero();
        assertThat(out.toString()).contains("--models").contains("--max-jobs").contains("--session-memory")
                .contains("--token-file").contains("--job-memory");
    }

    @Test
    void badFlagsAreOneLineErrorsNamingTheFlag() {
        Run missing = run("serve", "--models", tmp.resolve("nothing").toString(), "--port", "0");
        assertThat(missing.code()).isEqualTo(2);
        assertThat(missing.err()).startsWith("explain4j: error: --models").contains("is not a folder");
        assertThat(missing.err().strip()).doesNotContain("\n");
        Run port = run("serve", "--models", tmp.toString(), "--port", "70000");
        assertThat(port.code()).isEqualTo(2);
        assertThat(port.err()).contains("--port 70000 must be between 0 and 65535");
        Run size = run("serve", "--models", tmp.toString(), "--port", "0", "--max-body", "lots");
        assertThat(size.code()).isEqualTo(2);
        assertThat(size.err()).contains("--max-body");
        Run job = run("serve", "--models", tmp.toString(), "--port", "0", "--job-memory", "lots");
        assertThat(job.code()).isEqualTo(2);
        assertThat(job.err()).startsWith("explain4j: error: --job-memory");
        assertThat(job.err().strip()).doesNotContain("\n");
        Run token = run("serve", "--models", tmp.toString(), "--port", "0", "--token-file", tmp.resolve("no").toString());
        assertThat(token.code()).isEqualTo(7);
        assertThat(token.err()).contains("--token-file");
        Run threads = run("serve", "--models", tmp.toString(), "--port", "0", "--threads", "100000");
        assertThat(threads.code()).isEqualTo(2);
        assertThat(threads.err()).startsWith("explain4j: error: --threads").contains("100000");
        assertThat(threads.err().strip()).doesNotContain("\n");
    }

    @Test
    void withoutATokenOnlyLoopbackIsListenedOn() {
        assertThat(ServeCommand.loopback("127.0.0.1")).isTrue();
        assertThat(ServeCommand.loopback("localhost")).isTrue();
        assertThat(ServeCommand.loopback("0.0.0.0")).isFalse();
    }
}
