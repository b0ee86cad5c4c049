package org.explain4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.explain4j.core.ErrorKind;
import org.explain4j.core.Tensor;
import org.explain4j.core.io.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input found by the second review of the user-facing contract: each case gets a one-line
 * error naming the argument and the fix, with its kind's exit code, and nothing is written.
 */
class InputErrorsReviewTest {
    @TempDir
    Path tmp;

    private static final Path DIGITS = Path.of("..", "examples", "digits");
    private static final Path MLP = CliRunner.fixtures().resolve("mlp_softmax.onnx");
    private static final Path MLP_X = CliRunner.fixtures().resolve("mlp_softmax_x.npy");

    static void assertError(CliRunner.Run r, ErrorKind kind, String... mentions) {
        assertThat(r.exitCode()).as("exit code for: %s", r.err()).isEqualTo(kind.exitCode());
        assertThat(r.err().strip().lines().count()).as("one line: %s", r.err()).isEqualTo(1);
        assertThat(r.err()).startsWith("explain4j: error: ");
        for (String m : mentions) {
            assertThat(r.err()).contains(m);
        }
    }

    static String[] args(String... a) {
        return a;
    }

    static String[] concat(String[] a, String... b) {
        List<String> l = new ArrayList<>(List.of(a));
        l.addAll(List.of(b));
        return l.toArray(String[]::new);
    }

    /** mlp_softmax with its Tanh replaced by Sqrt (same length in the file): NaN for negative pre-activations. */
    private Path sqrtModel() throws Exception {
        byte[] b = Files.readAllBytes(MLP);
        String s = new String(b, StandardCharsets.ISO_8859_1).replace("Tanh", "Sqrt");
        Path p = tmp.resolve("sqrt.onnx");
        Files.write(p, s.getBytes(StandardCharsets.ISO_8859_1));
        return p;
    }

    @Test
    void nanModelOutput_isANonFiniteErrorNamingTheModelOutput_andNothingIsWritten() throws Exception {
        Path model = sqrtModel();
        for (String method : List.of("saliency", "integrated-gradients", "feature-ablation", "kernel-shap")) {
            Path out = tmp.resolve(method + ".npy");
            CliRunner.Run r = CliRunner.run("attribute", "--quiet", "--model", model.toString(), "--input", MLP_X.toString(),
                    "--method", method, "--output", out.toString());
            assertError(r, ErrorKind.NON_FINITE, "model output", "NaN");
            assertThat(out).as(method + ": no attributions written").doesNotExist();
        }
        Path attr = tmp.resolve("a.npy");
        Npy.write(Tensor.ofFloats(new float[30], 3, 10), attr);
        CliRunner.Run ev = CliRunner.run("evaluate", "--quiet", "--model", model.toString(), "--input", MLP_X.toString(),
                "--attribution", attr.toString(), "--metric", "deletion", "--target", "0", "--output", tmp.resolve("s.npy").toString());
        assertError(ev, ErrorKind.NON_FINITE, "model output");
        CliRunner.Run ex = CliRunner.run("explain", "--quiet", "--model", model.toString(), "--input", MLP_X.toString(),
                "--target", "0", "--methods", "saliency", "--out", tmp.resolve("ex").toString());
        assertError(ex, ErrorKind.NON_FINITE, "model output");
        assertThat(tmp.resolve("ex").resolve("saliency.npy")).doesNotExist();
    }

    @Test
    void float64InputBeyondFloat32_isNamedWithItsIndexInTheUsersInput() {
        double[] v = new double[30];
        v[13] = 1e40;
        Path x = tmp.resolve("big.npy");
        Npy.write(Tensor.ofDoubles(v, 3, 10), x);
        CliRunner.Run r = CliRunner.run("attribute", "--quiet", "--model", MLP.toString(), "--input", x.toString(),
                "--method", "saliency", "--output", tmp.resolve("o.npy").toString());
        assertError(r, ErrorKind.NON_FINITE, "--input", "1.0E40", "[1, 3]", "float32");
    }
}
