package org.explain4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.explain4j.core.ErrorKind;
import org.explain4j.core.Tensor;
import org.explain4j.core.io.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad input gets a one-line error naming the argument and the fix, and its own exit code. */
class CliErrorsTest {
    @TempDir
    Path tmp;

    private final Path model = CliRunner.fixtures().resolve("linear.onnx");

    private Path npy(String name, Tensor t) {
        Path p = tmp.resolve(name);
        Npy.write(t, p);
        return p;
    }

    private CliRunner.Run attribute(Path input, String... extra) {
        String[] base = {"attribute", "--quiet", "--model", model.toString(), "--input", input.toString(),
                "--output", tmp.resolve("out.npy").toString()};
        String[] args = new String[base.length + extra.length];
        System.arraycopy(base, 0, args, 0, base.length);
        System.arraycopy(extra, 0, args, base.length, extra.length);
        return CliRunner.run(args);
    }

    private static void assertError(CliRunner.Run r, ErrorKind kind, String... mentions) {
        assertThat(r.exitCode()).as("exit code for: %s", r.err()).isEqualTo(kind.exitCode());
        assertThat(r.err().strip().lines().count()).as("one line: %s", r.err()).isEqualTo(1);
        assertThat(r.err()).startsWith("explain4j: error: ");
        for (String m : mentions) {
            assertThat(r.err()).contains(m);
        }
    }

    private Path goodInput() {
        return npy("x.npy", Tensor.ofFloats(new float[12], 2, 6));
    }

    @Test
    void goodRun_writesTheOutputAndExitsZero() {
        CliRunner.Run r = attribute(goodInput(), "--method", "feature-ablation", "--target", "1");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(Npy.read(tmp.resolve("out.npy")).shape()).containsExactly(2, 6);
    }

    @Test
    void jsonFormat_writesTheVersionedDocument() throws Exception {
        CliRunner.Run r = attribute(goodInput(), "--method", "kernel-shap", "--format", "json");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(Files.readString(tmp.resolve("out.npy"))).contains("\"format\" : \"explain4j.attribution\"")
                .contains("\"model_sha256\"");
    }

    @Test
    void wrongShape_isAShapeError() {
        assertError(attribute(npy("bad.npy", Tensor.ofFloats(new float[10], 2, 5)), "--method", "feature-ablation"),
                ErrorKind.SHAPE, "--input", "(N, 6)");
        assertError(attribute(npy("bad.npy", Tensor.ofFloats(new float[6], 6)), "--method", "feature-ablation"),
                ErrorKind.SHAPE, "--input");
    }

    @Test
    void wrongDtype_isADtypeError() {
        assertError(attribute(npy("ids.npy", Tensor.ofLongs(new long[6], 1, 6)), "--method", "feature-ablation"),
                ErrorKind.DTYPE, "--input", "float32");
    }

    @Test
    void nanInput_isANonFiniteError() {
        float[] v = new float[6];
        v[3] = Float.NaN;
        assertError(attribute(npy("nan.npy", Tensor.ofFloats(v, 1, 6)), "--method", "feature-ablation"),
                ErrorKind.NON_FINITE, "--input", "index [0, 3]");
    }

    @Test
    void targetOutOfRange_isATargetError() {
        assertError(attribute(goodInput(), "--method", "feature-ablation", "--target", "3"), ErrorKind.TARGET,
                "--target", "3 outputs");
        assertError(attribute(goodInput(), "--method", "feature-ablation", "--target", "0,1,2"), ErrorKind.TARGET,
                "--target", "2 examples");
        assertError(attribute(goodInput(), "--method", "feature-ablation", "--target", "x"), ErrorKind.USAGE, "--target");
    }

    @Test
    void maskShapeMismatch_isAShapeError() {
        Path mask = npy("mask.npy", Tensor.ofLongs(new long[5], 1, 5));
        assertError(attribute(goodInput(), "--method", "feature-ablation", "--feature-mask", mask.toString()),
                ErrorKind.SHAPE, "--feature-mask", "(1, 6)", "(2, 6) (one per example)");
    }

    @Test
    void missingAndMalformedFiles_areFileOrModelErrors() throws Exception {
        assertError(attribute(tmp.resolve("nope.npy"), "--method", "feature-ablation"), ErrorKind.FILE, "--input", "not found");
        Path junk = tmp.resolve("junk.onnx");
        Files.writeString(junk, "not a model");
        CliRunner.Run r = CliRunner.run("attribute", "--model", junk.toString(), "--input", goodInput().toString(),
                "--method", "feature-ablation", "--output", tmp.resolve("o.npy").toString());
        assertError(r, ErrorKind.MODEL, "--model");
        CliRunner.Run missing = CliRunner.run("attribute", "--model", tmp.resolve("none.onnx").toString(), "--input",
                goodInput().toString(), "--method", "feature-ablation", "--output", tmp.resolve("o.npy").toString());
        assertError(missing, ErrorKind.FILE, "--model", "not found");
        Path text = tmp.resolve("text.npy");
        Files.writeString(text, "1,2,3");
        assertError(attribute(text, "--method", "feature-ablation"), ErrorKind.FILE, "--input", "not a valid .npy");
    }

    @Test
    void unknownMethodFlagOrValue_isAUsageError() {
        assertError(attribute(goodInput(), "--method", "magic"), ErrorKind.USAGE, "--method", "feature-ablation");
        assertError(attribute(goodInput(), "--method", "occlusion", "--bogus", "1"), ErrorKind.USAGE, "--bogus");
        assertError(attribute(goodInput(), "--method", "kernel-shap", "--window", "2"), ErrorKind.USAGE,
                "--window does not apply to kernel-shap");
        assertError(attribute(goodInput(), "--method", "occlusion"), ErrorKind.USAGE, "--window");
        assertError(attribute(goodInput(), "--method", "lime", "--surrogate", "forest"), ErrorKind.USAGE, "ridge, lasso");
        assertError(attribute(goodInput(), "--method", "feature-ablation", "--format", "xml"), ErrorKind.USAGE, "--format");
        assertError(attribute(goodInput(), "--method", "kernel-shap", "--samples", "0"), ErrorKind.USAGE, "--samples");
        assertError(attribute(goodInput(), "--method", "feature-ablation", "--batch-size", "0"), ErrorKind.USAGE, "--batch-size");
    }

    @Test
    void versionAndHelp_work() {
        CliRunner.Run v = CliRunner.run("--version");
        assertThat(v.exitCode()).isZero();
        assertThat(v.out()).startsWith("explain4j ");
        CliRunner.Run h = CliRunner.run("attribute", "--help");
        assertThat(h.exitCode()).isZero();
        assertThat(h.out()).contains("--feature-mask").contains("kernel-shap").contains("occlusion");
        assertThat(CliRunner.run("demo", "--help").out()).contains("--out");
    }
}
