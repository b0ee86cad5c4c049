package org.explain4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.explain4j.cli.InputErrorsReviewTest.assertError;

import java.awt.image.BufferedImage;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import javax.imageio.ImageIO;
import org.explain4j.core.DType;
import org.explain4j.core.ErrorKind;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Tensor;
import org.explain4j.core.io.Npy;
import org.explain4j.core.model.ModelSignature;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Defects earlier reviews left in the command line (docs/NOTES.md, "Left-over defects, cli and
 * serve"): one reading of {@code --target}, the explained input checked by the model signature's own
 * validation, every integer input's token ids checked, counts checked in a fixed order, and the
 * output-folder checks that lost their repeated branches.
 */
class LeftOverDefectsCliTest {
    @TempDir
    Path tmp;

    private static final Path MLP = CliRunner.fixtures().resolve("mlp_softmax.onnx");
    private static final Path MLP_X = CliRunner.fixtures().resolve("mlp_softmax_x.npy");
    private static final Path BERT = CliRunner.fixtures().resolve("bert_layer.onnx");

    @Test
    void targets_oneForAllIsSpread_wrongCountAndNegativeAreTargetErrors_rangeMessageAsTheMetrics() {
        assertThat(Targets.parse("3", 4, "example")).containsExactly(3, 3, 3, 3);
        assertThat(Targets.parse("2,0,1", 3, "example")).containsExactly(2, 0, 1);
        assertThat(Targets.parse("1", 1, "text", 2)).containsExactly(1);
        assertThatThrownBy(() -> Targets.parse("0,1", 3, "example")).isInstanceOf(Explain4jException.class)
                .hasMessage("--target gives 2 classes for 3 examples; pass one class for all or one per example");
        assertThatThrownBy(() -> Targets.parse("0,1,2", 2, "text")).hasMessageContaining("3 classes for 2 texts");
        assertThatThrownBy(() -> Targets.parse("0,-1", 2, "example"))
                .hasMessage("--target -1 is negative; pass class indices from 0");
        assertThatThrownBy(() -> Targets.parse("4", 2, "example", 4)).isInstanceOf(Explain4jException.class)
                .hasMessage("--target 4 is out of range: the model has 4 outputs (0..3); give a class in that range")
                .extracting(e -> ((Explain4jException) e).kind()).isEqualTo(ErrorKind.TARGET);
        assertThatThrownBy(() -> Targets.parse("x", 2, "example")).extracting(e -> ((Explain4jException) e).kind())
                .isEqualTo(ErrorKind.USAGE);
    }

    @Test
    void explainAndEvaluate_refuseATargetOutOfRange_withTheSameLine() throws Exception {
        Path a = tmp.resolve("a.npy");
        Npy.write(Tensor.ofFloats(new float[30], 3, 10), a);
        CliRunner.Run explain = CliRunner.run("explain", "--quiet", "--model", MLP.toString(), "--input", MLP_X.toString(),
                "--methods", "saliency", "--target", "9", "--out", tmp.resolve("ex").toString());
        CliRunner.Run evaluate = CliRunner.run("evaluate", "--quiet", "--model", MLP.toString(), "--input", MLP_X.toString(),
                "--attribution", a.toString(), "--metric", "sparseness", "--target", "9", "--output",
                tmp.resolve("s.npy").toString());
        String line = "explain4j: error: --target 9 is out of range: the model has 4 outputs (0..3); give a class in that range";
        assertError(explain, ErrorKind.TARGET);
        assertError(evaluate, ErrorKind.TARGET);
        assertThat(explain.err().strip()).isEqualTo(line);
        assertThat(evaluate.err().strip()).isEqualTo(line);
        CliRunner.Run negative = CliRunner.run("evaluate", "--quiet", "--model", MLP.toString(), "--input", MLP_X.toString(),
                "--attribution", a.toString(), "--metric", "sparseness", "--target", "-2", "--output",
                tmp.resolve("s.npy").toString());
        assertError(negative, ErrorKind.TARGET, "--target -2 is negative");
    }

    @Test
    void attribute_readsClassIndicesAsExplainAndEvaluate_withTheSameLines() throws Exception {
        // mlp_softmax_x holds 3 examples; the model declares 4 outputs
        String[][] cases = {{"9", "--target 9 is out of range: the model has 4 outputs (0..3); give a class in that range"},
            {"0,1", "--target gives 2 classes for 3 examples; pass one class for all or one per example"},
            {"0,-1,2", "--target -1 is negative; pass class indices from 0"}};
        for (String[] c : cases) {
            CliRunner.Run attribute = CliRunner.run("attribute", "--model", MLP.toString(), "--input", MLP_X.toString(),
                    "--method", "saliency", "--target", c[0], "--output", tmp.resolve("a.npy").toString());
            CliRunner.Run evaluate = CliRunner.run("evaluate", "--quiet", "--model", MLP.toString(), "--input",
                    MLP_X.toString(), "--attribution", MLP_X.toString(), "--metric", "sparseness", "--target", c[0],
                    "--output", tmp.resolve("s.npy").toString());
            assertError(attribute, ErrorKind.TARGET);
            assertThat(attribute.err().strip()).as("attribute --target %s", c[0]).isEqualTo("explain4j: error: " + c[1]);
            assertThat(evaluate.err().strip()).as("evaluate --target %s", c[0]).isEqualTo("explain4j: error: " + c[1]);
        }
        // a class for all and one per example still run
        CliRunner.Run one = CliRunner.run("attribute", "--model", MLP.toString(), "--input", MLP_X.toString(),
                "--method", "saliency", "--target", "3", "--output", tmp.resolve("one.npy").toString());
        CliRunner.Run each = CliRunner.run("attribute", "--model", MLP.toString(), "--input", MLP_X.toString(),
                "--method", "saliency", "--target", "3,3,3", "--output", tmp.resolve("each.npy").toString());
        assertThat(one.exitCode()).as(one.err()).isZero();
        assertThat(each.exitCode()).as(each.err()).isZero();
        assertThat(Npy.read(tmp.resolve("one.npy")).toFloatArray()).containsExactly(Npy.read(tmp.resolve("each.npy"))
                .toFloatArray());
    }

    @Test
    void explain_readsTheTargetsFormBeforeTheMethodsAndTheForwardPass() {
        // a wrong count together with an unknown method: the target is read first (the methods are
        // looked up before the forward pass, which then needs the target's range only)
        CliRunner.Run run = CliRunner.run("explain", "--quiet", "--model", MLP.toString(), "--input", MLP_X.toString(),
                "--methods", "no-such-method", "--target", "0,1", "--out", tmp.resolve("ex").toString());
        assertError(run, ErrorKind.TARGET);
        assertThat(run.err().strip())
                .isEqualTo("explain4j: error: --target gives 2 classes for 3 examples; pass one class for all or one per example");
        CliRunner.Run methods = CliRunner.run("explain", "--quiet", "--model", MLP.toString(), "--input", MLP_X.toString(),
                "--methods", "no-such-method", "--target", "0", "--out", tmp.resolve("ex").toString());
        assertError(methods, ErrorKind.USAGE, "unknown method 'no-such-method'");
    }

    @Test
    void explainer_refusesLogitsOfAnotherBatch() {
        try (ModelLoader.Loaded m = ModelLoader.load(MLP, 1, null, null)) {
            ExplainInput in = ExplainInput.load(MLP_X, m.signature(), ExplainInput.Preprocessing.of(null, null, null, null,
                    Optional.empty()), null);
            Explainer ex = new Explainer(m, MLP, in, MLP_X, List.of(), tmp.resolve("ex"), true);
            Tensor logits = Explainer.forward(m, in.batch(), org.explain4j.core.model.FedInputs.none());
            java.io.PrintWriter log = new java.io.PrintWriter(java.io.Writer.nullWriter());
            Tensor two = logits.slice(0, 2);
            assertThatThrownBy(() -> ex.explain(List.of(), org.explain4j.core.Target.of(0), new int[] {0, 0, 0}, two, log))
                    .isInstanceOfSatisfying(Explain4jException.class, e -> {
                        assertThat(e.kind()).isEqualTo(ErrorKind.INTERNAL);
                        assertThat(e.getMessage()).contains("logits of shape (2, 4)").contains("3 examples");
                    });
        }
    }

    @Test
    void explain_checksTheInputAsTheModelSignatureDoes_shapeAndTypeNamedAsInput() throws Exception {
        Path wide = tmp.resolve("wide.npy");
        Npy.write(Tensor.ofFloats(new float[3 * 11], 3, 11), wide);
        Path out = tmp.resolve("o");
        CliRunner.Run shape = CliRunner.run("explain", "--quiet", "--model", MLP.toString(), "--input", wide.toString(),
                "--methods", "saliency", "--out", out.toString());
        assertError(shape, ErrorKind.SHAPE, "--input has shape (3, 11)", "dimension 1 must be 10");
        Path ints = tmp.resolve("ints.npy");
        Npy.write(Tensor.ofLongs(new long[30], 3, 10), ints);
        CliRunner.Run type = CliRunner.run("explain", "--quiet", "--model", MLP.toString(), "--input", ints.toString(),
                "--methods", "saliency", "--out", out.toString());
        assertError(type, ErrorKind.DTYPE, "--input is int64", "save the array as float32");
        assertThat(out.resolve("report.html")).doesNotExist();
    }

    /** bert_layer's three int64 inputs with the fixture's values, {@code token_type_ids} with a -1 at [1, 3]. */
    private List<String> bertInputs() throws Exception {
        Path dir = CliRunner.fixtures();
        Tensor types = Npy.read(dir.resolve("bert_layer_token_type_ids.npy"));
        long[] v = types.toLongArray();
        v[8 + 3] = -1;
        Path bad = tmp.resolve("types.npy");
        Npy.write(Tensor.ofLongs(v, types.shape()), bad);
        return List.of("--input", "input_ids=" + dir.resolve("bert_layer_input_ids.npy"), "--input",
                "attention_mask=" + dir.resolve("bert_layer_attention_mask.npy"), "--input", "token_type_ids=" + bad,
                "--explain", "input_ids");
    }

    @Test
    void explain_refusesANegativeTokenIdInAFedInput_notOnlyInTheExplainedOne() throws Exception {
        List<String> args = new java.util.ArrayList<>(List.of("explain", "--quiet", "--model", BERT.toString(),
                "--methods", "feature-ablation", "--out", tmp.resolve("ex").toString()));
        args.addAll(bertInputs());
        CliRunner.Run r = CliRunner.run(args.toArray(String[]::new));
        assertError(r, ErrorKind.USAGE, "--input token_type_ids holds the token id -1 at index [1, 3]",
                "token ids are 0 or more");
        assertThat(tmp.resolve("ex").resolve("report.html")).doesNotExist();
    }

    @Test
    void attribute_refusesANegativeTokenIdInAFedInput_notOnlyInTheExplainedOne() throws Exception {
        List<String> args = new java.util.ArrayList<>(List.of("attribute", "--quiet", "--model", BERT.toString(),
                "--method", "feature-ablation", "--output", tmp.resolve("a.npy").toString()));
        args.addAll(bertInputs());
        CliRunner.Run r = CliRunner.run(args.toArray(String[]::new));
        assertError(r, ErrorKind.USAGE, "--input token_type_ids holds the token id -1 at index [1, 3]");
        assertThat(tmp.resolve("a.npy")).doesNotExist();
    }

    @Test
    void bench_reportsTheFirstBadCount_inTheOrderOfItsOptions() {
        String model = CliRunner.fixtures().resolve("linear.onnx").toString();
        String[][] cases = {
            {"--examples", "--vocab"}, {"--steps", "--vocab"}, {"--batch-size", "--repeats"}, {"--repeats", "--vocab"},
            {"--examples", "--repeats"}, {"--steps", "--batch-size"},
        };
        for (String[] c : cases) {
            CliRunner.Run r = CliRunner.run("bench", "--model", model, c[1], "0", c[0], "-1");
            assertError(r, ErrorKind.USAGE);
            assertThat(r.err().strip()).as("%s and %s bad", c[0], c[1])
                    .isEqualTo("explain4j: error: " + c[0] + " -1 must be at least 1");
        }
    }

    @Test
    void outputFolderChecks_stillRefuseWhatTheRemovedBranchesCovered() throws Exception {
        // evaluation-mprt.png: one of the evaluation-* pictures
        assertThat(ExplainChecks.written("evaluation-mprt.png", List.of())).isTrue();
        assertThat(ExplainChecks.written("evaluation-other.png", List.of())).isTrue();
        assertThat(ExplainChecks.written("mprt.png", List.of())).isFalse();
        // the demo's input.npy: refused in a folder of the user's (the demo's own copy, without its model beside it)
        Path dir = tmp.resolve("demo");
        Files.createDirectories(dir);
        try (InputStream in = DemoCommand.class.getResourceAsStream("/org/explain4j/cli/demo/digits_x.npy")) {
            Files.copy(in, dir.resolve("input.npy"));
        }
        CliRunner.Run r = CliRunner.run("demo", "--quiet", "--methods", "saliency", "--out", dir.toString());
        assertError(r, ErrorKind.USAGE, "--out", "holds input.npy", "overwrite");
        assertThat(dir.resolve("digits_cnn.onnx")).doesNotExist();
    }

    @Test
    void explain_refusesAnInputGivenAsNameEqualsFile_lyingInTheOutputFolderUnderANameItWrites() throws Exception {
        Path out = tmp.resolve("o");
        Files.createDirectories(out);
        Files.copy(MLP_X, out.resolve("input.npy"));
        CliRunner.Run r = CliRunner.run("explain", "--quiet", "--model", MLP.toString(), "--input",
                "input=" + out.resolve("input.npy"), "--methods", "saliency", "--out", out.toString());
        assertError(r, ErrorKind.USAGE, "--out", "holds the --input file input.npy");
        assertThat(Npy.read(out.resolve("input.npy")).toFloatArray()).containsExactly(Npy.read(MLP_X).toFloatArray());
    }

    @Test
    void resize_isAlwaysHeightThenWidth_andOneSizeIsRefused() throws Exception {
        BufferedImage img = new BufferedImage(9, 7, BufferedImage.TYPE_INT_RGB);
        img.setRGB(2, 3, 0xff8040);
        Path png = tmp.resolve("p.png");
        ImageIO.write(img, "png", png.toFile());
        ModelSignature sig = ModelSignature.of(DType.FLOAT32, new int[] {3, -1, -1}, 2);
        ExplainInput in = ExplainInput.load(png, sig,
                ExplainInput.Preprocessing.of("6,5", null, null, null, Optional.empty()), null);
        assertThat(in.batch().shape()).containsExactly(1, 3, 6, 5);
        assertThatThrownBy(() -> ExplainInput.Preprocessing.of("6", null, null, null, Optional.empty()))
                .isInstanceOf(Explain4jException.class).hasMessageContaining("--resize must be two positive sizes H,W");
    }
}
