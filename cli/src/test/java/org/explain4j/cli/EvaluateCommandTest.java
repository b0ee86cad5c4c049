package org.explain4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.explain4j.core.DType;
import org.explain4j.core.ErrorKind;
import org.explain4j.core.Tensor;
import org.explain4j.core.io.Npy;
import org.explain4j.core.metrics.MetricCatalog;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code explain4j evaluate} and {@code explain4j metrics} on the committed digits CNN. */
class EvaluateCommandTest {
    @TempDir
    Path tmp;

    private static final Path MODEL = Path.of("..", "examples", "digits", "digits_cnn.onnx");
    private static final Path INPUT = Path.of("..", "examples", "digits", "digits_x.npy");

    private Path attribution() {
        Tensor x = Npy.read(INPUT);
        float[] v = x.toFloatArray();
        for (int i = 0; i < v.length; i++) {
            v[i] = v[i] * ((i * 7919) % 13 - 6);
        }
        Path p = tmp.resolve("a.npy");
        Npy.write(Tensor.ofFloats(v, x.shape()), p);
        return p;
    }

    private CliRunner.Run evaluate(String metric, Path a, String... extra) {
        List<String> args = new ArrayList<>(List.of("evaluate", "--quiet", "--model", MODEL.toString(), "--input",
                INPUT.toString(), "--attribution", a.toString(), "--metric", metric, "--target", "0,1,2,3,4,5,6,7",
                "--output", tmp.resolve("s.npy").toString()));
        args.addAll(List.of(extra));
        return CliRunner.run(args.toArray(String[]::new));
    }

    private static void assertError(CliRunner.Run r, ErrorKind kind, String... mentions) {
        assertThat(r.exitCode()).as("exit code for: %s", r.err()).isEqualTo(kind.exitCode());
        assertThat(r.err().strip().lines().count()).as("one line: %s", r.err()).isEqualTo(1);
        assertThat(r.err()).startsWith("explain4j: error: ");
        for (String m : mentions) {
            assertThat(r.err()).contains(m);
        }
    }

    @Test
    void pixelFlipping_writesFloat64CurvesOfTheStatedShape() {
        CliRunner.Run r = evaluate("pixel-flipping", attribution(), "--features-in-step", "8");
        assertThat(r.exitCode()).as(r.err()).isZero();
        Tensor s = Npy.read(tmp.resolve("s.npy"));
        assertThat(s.dtype()).isEqualTo(DType.FLOAT64);
        assertThat(s.shape()).containsExactly(8, 8);
        // the last step has every pixel at the black baseline: the same input for every example, so one value per target
        assertThat(s.getDouble(7)).isNotEqualTo(s.getDouble(15));
        for (int i = 0; i < s.size(); i++) {
            assertThat(s.getDouble(i)).isBetween(0.0, 1.0);
        }
    }

    @Test
    void jsonFormat_holdsMetricParametersSeedScoresAndModelHash() throws Exception {
        CliRunner.Run r = evaluate("faithfulness-correlation", attribution(), "--nr-runs", "20", "--subset-size", "8",
                "--return-aggregate", "false", "--seed", "9", "--format", "json");
        assertThat(r.exitCode()).as(r.err()).isZero();
        JsonNode j = new ObjectMapper().readTree(tmp.resolve("s.npy").toFile());
        assertThat(j.get("format").asInt()).isEqualTo(1);
        assertThat(j.get("metric").asText()).isEqualTo("faithfulness-correlation");
        assertThat(j.get("seed").asLong()).isEqualTo(9);
        assertThat(j.get("parameters").get("nr-runs").asInt()).isEqualTo(20);
        assertThat(j.get("parameters").get("perturb-baseline").asText()).isEqualTo("black");
        assertThat(j.get("scores").get("shape").get(0).asInt()).isEqualTo(8);
        assertThat(j.get("model").get("sha256").asText()).matches("[0-9a-f]{64}");
        assertThat(j.get("model_evaluations").asLong()).isEqualTo(8 + 8 * 20);
    }

    @Test
    void sameSeedOtherBatchSizes_bitIdenticalScoresOnTheOnnxModel() {
        Path a = attribution();
        double[][] runs = new double[3][];
        String[] sizes = {"1", "5", "64"};
        for (int i = 0; i < sizes.length; i++) {
            CliRunner.Run r = evaluate("monotonicity-correlation", a, "--nr-samples", "3", "--features-in-step", "8",
                    "--softmax", "false", "--seed", "12", "--batch-size", sizes[i]);
            assertThat(r.exitCode()).as(r.err()).isZero();
            runs[i] = Npy.read(tmp.resolve("s.npy")).toDoubleArray();
        }
        assertThat(runs[1]).containsExactly(runs[0]);
        assertThat(runs[2]).containsExactly(runs[0]);
        CliRunner.Run other = evaluate("monotonicity-correlation", a, "--nr-samples", "3", "--features-in-step", "8",
                "--softmax", "false", "--seed", "13");
        assertThat(other.exitCode()).as(other.err()).isZero();
        assertThat(Npy.read(tmp.resolve("s.npy")).toDoubleArray()).isNotEqualTo(runs[0]);
    }

    @Test
    void featuresInStepNotDividing_oneLineErrorNamingTheFlag() {
        assertError(evaluate("monotonicity", attribution(), "--features-in-step", "3"), ErrorKind.USAGE,
                "--features-in-step 3 must divide");
    }

    @Test
    void flagOfAnotherMetric_refusedNamingTheFlag() {
        assertError(evaluate("pixel-flipping", attribution(), "--nr-runs", "5"), ErrorKind.USAGE,
                "--nr-runs does not apply to pixel-flipping");
    }

    @Test
    void attributionOfAnotherShape_oneLineShapeError() {
        Path a = tmp.resolve("bad.npy");
        Npy.write(Tensor.ofFloats(new float[8 * 64], 8, 64), a);
        assertError(evaluate("deletion", a), ErrorKind.SHAPE, "--attribution has shape (8, 64)");
    }

    @Test
    void targetOutOfRange_oneLineTargetError() {
        List<String> args = new ArrayList<>(List.of("evaluate", "--quiet", "--model", MODEL.toString(), "--input",
                INPUT.toString(), "--attribution", attribution().toString(), "--metric", "deletion", "--target", "10",
                "--output", tmp.resolve("s.npy").toString()));
        assertError(CliRunner.run(args.toArray(String[]::new)), ErrorKind.TARGET, "target 10 is out of range");
    }

    @Test
    void methodForAMetricThatDoesNotReExplain_refused() {
        assertError(evaluate("selectivity", attribution(), "--method", "saliency"), ErrorKind.USAGE,
                "--method does not apply to selectivity");
    }

    @Test
    void methodFlagWithoutMethod_refusedNamingTheFlag() {
        assertError(evaluate("deletion", attribution(), "--steps", "8"), ErrorKind.USAGE, "--steps is a flag of --method");
    }

    @Test
    void maskForAMetricWithoutOne_refused() {
        assertError(evaluate("deletion", attribution(), "--mask", attribution().toString()), ErrorKind.USAGE,
                "--mask does not apply to deletion");
    }

    @Test
    void badBaselineName_oneLineErrorNamingTheFlag() {
        assertError(evaluate("faithfulness-estimate", attribution(), "--perturb-baseline", "grey"), ErrorKind.USAGE,
                "--perturb-baseline 'grey' must be black, white, mean, uniform or a number");
    }

    @Test
    void metricsCommand_listsEveryMetricAsTableAndJson() throws Exception {
        CliRunner.Run table = CliRunner.run("metrics");
        assertThat(table.exitCode()).as(table.err()).isZero();
        for (String name : MetricCatalog.names()) {
            assertThat(table.out()).contains(name + "  (");
        }
        assertThat(table.out()).contains("--features-in-step int = 1");
        CliRunner.Run json = CliRunner.run("metrics", "--format", "json", "deletion");
        assertThat(json.exitCode()).as(json.err()).isZero();
        JsonNode j = new ObjectMapper().readTree(json.out());
        assertThat(j.get("format").asInt()).isEqualTo(1);
        assertThat(j.get("metrics")).hasSize(1);
        JsonNode d = j.get("metrics").get(0);
        assertThat(d.get("category").asText()).isEqualTo("faithfulness");
        assertThat(d.get("higher_is_better").asBoolean()).isFalse();
        assertThat(d.get("params").get(0).get("name").asText()).isEqualTo("step");
        assertThat(d.get("params").get(0).get("default").asInt()).isEqualTo(1);
        assertError(CliRunner.run("metrics", "no-such-metric"), ErrorKind.USAGE, "unknown metric 'no-such-metric'");
    }
}
