package org.explain4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.explain4j.core.Tensor;
import org.explain4j.core.io.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A command line of tens of kilobytes (one target per row of a large batch) runs in a real
 * {@code java} process. On the launcher's main thread ONNX Runtime died with SIGSEGV (exit 139, no
 * message) from about 4000 characters of arguments; {@link Main#main} runs commands on a thread
 * with a large stack.
 */
class LongCommandLineTest {
    @TempDir
    Path tmp;

    @Test
    void aTargetPerRowForThousandsOfRows_runsInItsOwnProcess() throws IOException, InterruptedException {
        Path model = Golden.folder().resolve("tabular_mlp.onnx");
        assertThat(model).as("the golden tabular model").exists();
        int rows = 6000;
        float[] x = new float[rows * 10];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) Math.sin(i * 0.37);
        }
        Path input = tmp.resolve("x.npy");
        Npy.write(Tensor.ofFloats(x, rows, 10), input);
        List<String> targets = new ArrayList<>();
        for (int i = 0; i < rows; i++) {
            targets.add(Integer.toString(i % 2));
        }
        String target = String.join(",", targets);
        assertThat(target.length()).isGreaterThan(10_000);

        Path out = tmp.resolve("sal.npy");
        String java = ProcessHandle.current().info().command().orElse("java");
        Process p = new ProcessBuilder(List.of(java, "-Dexplain4j.cache=off", "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "attribute", "--quiet", "--model", model.toString(), "--input", input.toString(),
                "--method", "saliency", "--target", target, "--output", out.toString()))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        assertThat(p.waitFor(180, TimeUnit.SECONDS)).isTrue();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as("exit code (139: SIGSEGV); stderr: %s", err).isZero();

        // the same command in this JVM (its arguments are not the process's command line)
        Path here = tmp.resolve("here.npy");
        assertThat(Main.commandLine().execute("attribute", "--quiet", "--model", model.toString(), "--input",
                input.toString(), "--method", "saliency", "--target", target, "--output", here.toString())).isZero();
        float[] child = Npy.read(out).toFloatArray();
        assertThat(child).hasSize(rows * 10).containsExactly(Npy.read(here).toFloatArray());
        // rows with targets 0 and 1 and the same input would differ: the per-row targets were applied
        assertThat(child).isNotEqualTo(new float[child.length]);
    }
}
