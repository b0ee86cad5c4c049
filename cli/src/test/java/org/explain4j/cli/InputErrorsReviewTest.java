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

    private CliRunner.Run explain(String... extra) {
        return CliRunner.run(concat(args("explain", "--quiet", "--model", MLP.toString(), "--input", MLP_X.toString()), extra));
    }

    @Test
    void explain_userArgumentsEveryMethodWouldFailOn_exitNonZero() {
        Path out = tmp.resolve("o");
        assertError(explain("--batch-size", "0", "--out", out.toString()), ErrorKind.USAGE, "--batch-size");
        assertError(explain("--target", "0,1,2,3,1", "--out", out.toString()), ErrorKind.TARGET, "--target", "3 examples");
        assertError(explain("--target", "5", "--out", out.toString()), ErrorKind.TARGET, "--target", "4 outputs");
        assertError(explain("--target", "-1", "--out", out.toString()), ErrorKind.TARGET, "--target");
        assertError(CliRunner.run("explain", "--quiet", "--model", DIGITS.resolve("digits_cnn.onnx").toString(), "--input",
                DIGITS.resolve("digits_x.npy").toString(), "--methods", "grad-cam", "--out", out.toString()),
                ErrorKind.USAGE, "--layer");
        assertError(explain("--methods", "saliency,saliency", "--out", out.toString()), ErrorKind.USAGE, "--methods", "twice");
        assertThat(out.resolve("report.html")).doesNotExist();
    }

    @Test
    void explain_givenTarget_isReportedAsGiven_notAsThePredictedClass() throws Exception {
        Path out = tmp.resolve("o");
        CliRunner.Run r = explain("--target", "2", "--methods", "saliency", "--out", out.toString());
        assertThat(r.exitCode()).as(r.err()).isZero();
        String html = Files.readString(out.resolve("report.html"));
        assertThat(html).contains("target as given by --target: class 2").doesNotContain("the predicted class");
    }

    @Test
    void explain_outFolder_isCheckedAndTheUsersFilesAreNotOverwritten() throws Exception {
        Path file = tmp.resolve("file");
        Files.writeString(file, "x");
        assertError(explain("--methods", "saliency", "--out", file.toString()), ErrorKind.USAGE, "--out", "is a file");
        Path blocked = file.resolve("sub");
        assertError(explain("--methods", "saliency", "--out", blocked.toString()), ErrorKind.FILE, "--out", "cannot be created");
        Path dir = tmp.resolve("mine");
        Files.createDirectories(dir);
        Path mine = dir.resolve("saliency.npy");
        Files.copy(MLP_X, mine);
        byte[] before = Files.readAllBytes(mine);
        CliRunner.Run r = CliRunner.run("explain", "--quiet", "--model", MLP.toString(), "--input", mine.toString(),
                "--methods", "saliency", "--out", dir.toString());
        assertError(r, ErrorKind.USAGE, "--out", "saliency.npy", "overwrite");
        assertThat(Files.readAllBytes(mine)).isEqualTo(before);
        Path demoDir = tmp.resolve("demo");
        Files.createDirectories(demoDir);
        Files.writeString(demoDir.resolve("input.npy"), "the user's own file");
        assertError(CliRunner.run("demo", "--quiet", "--methods", "saliency", "--out", demoDir.toString()), ErrorKind.USAGE,
                "--out", "input.npy");
        assertThat(Files.readString(demoDir.resolve("input.npy"))).isEqualTo("the user's own file");
    }

    @Test
    void explain_imagePreprocessingFlags_areChecked() throws Exception {
        Path png = tmp.resolve("digit.png");
        java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(8, 8, java.awt.image.BufferedImage.TYPE_INT_RGB);
        img.setRGB(3, 3, 0xffffff);
        javax.imageio.ImageIO.write(img, "png", png.toFile());
        String[] base = args("explain", "--quiet", "--model", DIGITS.resolve("digits_cnn.onnx").toString(), "--input",
                png.toString(), "--methods", "saliency", "--out", tmp.resolve("o").toString());
        for (String bad : List.of("0,5", "-3,12", "8,8,8")) {
            assertError(CliRunner.run(concat(base, "--resize", bad)), ErrorKind.USAGE, "--resize", "H,W");
        }
        assertError(CliRunner.run(concat(base, "--resize", "16,16")), ErrorKind.SHAPE, "--resize", "8x8");
        assertError(CliRunner.run(concat(base, "--mean", "0.1,0.2")), ErrorKind.USAGE, "--mean", "1 channel");
        assertError(CliRunner.run(concat(base, "--std", "0.1,0.2,0.3")), ErrorKind.USAGE, "--std", "1 channel");
        CliRunner.Run ok = CliRunner.run(concat(base, "--resize", "8,8", "--mean", "0.5"));
        assertThat(ok.exitCode()).as(ok.err()).isZero();
    }

    @Test
    void explain_flagsThatDoNotApplyToTheInput_areRefused() {
        Path out = tmp.resolve("o");
        assertError(explain("--pooling", "mean", "--out", out.toString()), ErrorKind.USAGE, "--pooling", "does not apply");
        assertError(explain("--max-length", "12", "--out", out.toString()), ErrorKind.USAGE, "--max-length");
        assertError(explain("--resize", "4,4", "--out", out.toString()), ErrorKind.USAGE, "--resize", "not an image");
        assertError(explain("--vocab", MLP_X.toString(), "--out", out.toString()), ErrorKind.USAGE, "--vocab");
    }

    @Test
    void explain_nanInput_isANonFiniteErrorNamingTheInput() {
        float[] v = new float[30];
        v[12] = Float.NaN;
        Path x = tmp.resolve("nan.npy");
        Npy.write(Tensor.ofFloats(v, 3, 10), x);
        assertError(CliRunner.run("explain", "--quiet", "--model", MLP.toString(), "--input", x.toString(), "--out",
                tmp.resolve("o").toString()), ErrorKind.NON_FINITE, "--input", "[1, 2]");
    }

    private CliRunner.Run evaluate(Path attribution, String... extra) {
        return CliRunner.run(concat(args("evaluate", "--quiet", "--model", MLP.toString(), "--input", MLP_X.toString(),
                "--attribution", attribution.toString(), "--output", tmp.resolve("s.npy").toString()), extra));
    }

    private Path attribution(float nanAt) {
        float[] v = new float[30];
        for (int i = 0; i < v.length; i++) {
            v[i] = (i % 7) - 3;
        }
        if (nanAt >= 0) {
            v[(int) nanAt] = Float.NaN;
        }
        Path p = tmp.resolve("a" + (int) nanAt + ".npy");
        Npy.write(Tensor.ofFloats(v, 3, 10), p);
        return p;
    }

    @Test
    void evaluate_targetRange_isCheckedForEveryMetric_andSeedOfADeterministicMetricIsRefused() {
        assertError(evaluate(attribution(-1), "--metric", "sparseness", "--target", "7"), ErrorKind.TARGET, "--target",
                "4 outputs", "give a class");
        assertError(evaluate(attribution(-1), "--metric", "deletion", "--target", "4"), ErrorKind.TARGET, "--target",
                "4 outputs", "give a class");
        CliRunner.Run ok = evaluate(attribution(-1), "--metric", "sparseness", "--target", "3");
        assertThat(ok.exitCode()).as(ok.err()).isZero();
        assertError(evaluate(attribution(-1), "--metric", "sparseness", "--target", "1", "--seed", "3"), ErrorKind.USAGE,
                "--seed", "sparseness");
        CliRunner.Run seeded = evaluate(attribution(-1), "--metric", "faithfulness-correlation", "--target", "1",
                "--seed", "3", "--nr-runs", "4", "--subset-size", "2");
        assertThat(seeded.exitCode()).as(seeded.err()).isZero();
    }

    @Test
    void nanInTheAttributionOrACsvCell_isANonFiniteError_andCsvCellsAreNamedByRowAndColumn() throws Exception {
        assertError(evaluate(attribution(13), "--metric", "sparseness", "--target", "1"), ErrorKind.NON_FINITE,
                "--attribution", "[1, 3]");
        Path csv = tmp.resolve("x.csv");
        StringBuilder b = new StringBuilder("a,b,c,d,e,f,g,h,i,j\n");
        b.append("1,2,3,4,5,6,7,8,9,10\n");
        b.append("1,2,NaN,4,5,6,7,8,9,10\n");
        Files.writeString(csv, b.toString());
        CliRunner.Run r = CliRunner.run("explain", "--quiet", "--model", MLP.toString(), "--input", csv.toString(),
                "--out", tmp.resolve("o").toString());
        assertError(r, ErrorKind.NON_FINITE, "--input", "row 2", "column 'c'");
        Files.writeString(csv, "a,b,c,d,e,f,g,h,i,j\n1,2,3,4,x,6,7,8,9,10\n");
        CliRunner.Run bad = CliRunner.run("attribute", "--quiet", "--model", MLP.toString(), "--input", csv.toString(),
                "--method", "saliency", "--output", tmp.resolve("o.npy").toString());
        assertError(bad, ErrorKind.FILE, "--input", "row 1", "column 'e'", "'x'");
    }

    @Test
    void threadsAreBounded_andBenchCountsMustBePositive() {
        CliRunner.Run r = CliRunner.run("attribute", "--quiet", "--model", MLP.toString(), "--input", MLP_X.toString(),
                "--method", "saliency", "--threads", "100000", "--output", tmp.resolve("o.npy").toString());
        assertError(r, ErrorKind.USAGE, "--threads", "100000", "available processors");
        assertThat(tmp.resolve("o.npy")).doesNotExist();
        for (String flag : List.of("--examples", "--batch-size", "--repeats", "--steps")) {
            assertError(CliRunner.run("bench", "--model", MLP.toString(), flag, "0"), ErrorKind.USAGE, flag, "at least 1");
        }
    }

    @Test
    void emptyText_isRefused_andDjlLogLinesAreOff() {
        Path dir = Path.of("..", "fixtures", "text");
        CliRunner.Run r = CliRunner.run("explain", "--quiet", "--model", dir.resolve("bow.onnx").toString(), "--tokenizer",
                dir.resolve("bow_tokenizer.json").toString(), "--text", "", "--out", tmp.resolve("o").toString());
        assertError(r, ErrorKind.USAGE, "--text", "empty");
        CliRunner.Run ok = CliRunner.run("explain", "--quiet", "--model", dir.resolve("bow.onnx").toString(), "--tokenizer",
                dir.resolve("bow_tokenizer.json").toString(), "--text", "a good movie", "--methods", "feature-ablation",
                "--out", tmp.resolve("o").toString());
        assertThat(ok.exitCode()).as(ok.err()).isZero();
        assertThat(System.getProperty("org.slf4j.simpleLogger.log.ai.djl")).as("DJL's log level once a tokenizer was opened")
                .isEqualTo("off");
    }

    @Test
    void messagesNameArgumentsThatExist() {
        Path bag = CliRunner.fixtures().resolve("text_embedding_bag.onnx");
        Tensor ids = Npy.read(CliRunner.fixtures().resolve("text_embedding_bag_x.npy"));
        long[] v = new long[ids.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = ids.getLong(i);
        }
        v[1] = 50;
        Path oob = tmp.resolve("oob.npy");
        Npy.write(Tensor.ofLongs(v, ids.shape()), oob);
        String out = tmp.resolve("o.npy").toString();
        assertError(CliRunner.run("attribute", "--quiet", "--model", bag.toString(), "--input", oob.toString(), "--method",
                "feature-ablation", "--output", out), ErrorKind.USAGE, "--input", "token id 50", "[0, 1]", "vocabulary of 50");
        v[1] = -2;
        Path neg = tmp.resolve("neg.npy");
        Npy.write(Tensor.ofLongs(v, ids.shape()), neg);
        assertError(CliRunner.run("attribute", "--quiet", "--model", bag.toString(), "--input", neg.toString(), "--method",
                "feature-ablation", "--output", out), ErrorKind.USAGE, "--input", "token id -2", "[0, 1]");
        CliRunner.Run shap = CliRunner.run("attribute", "--quiet", "--model", MLP.toString(), "--input", MLP_X.toString(),
                "--method", "deeplift-shap", "--baseline", "zeros", "--output", out);
        assertError(shap, ErrorKind.USAGE, "--baseline", "distribution", ".npy");
        assertThat(shap.err()).doesNotContain("Baseline");
        assertError(CliRunner.run("attribute", "--quiet", "--model", MLP.toString(), "--input", MLP_X.toString(),
                "--method", "saliency", "--input-name", "nope", "--output", out), ErrorKind.USAGE, "--input-name", "nope");
        CliRunner.Run exact = CliRunner.run("attribute", "--quiet", "--model", DIGITS.resolve("digits_cnn.onnx").toString(),
                "--input", DIGITS.resolve("digits_x.npy").toString(), "--method", "shapley-exact", "--output", out);
        assertError(exact, ErrorKind.USAGE, "shapley-value-sampling", "--feature-mask");
        assertThat(Path.of(out)).doesNotExist();
    }

    @Test
    void aBadCacheSize_namesTheEnvironmentVariable() {
        String on = System.getProperty(org.explain4j.onnx.cache.CacheSettings.ENABLED);
        String max = System.getProperty("explain4j.cacheMax");
        System.setProperty(org.explain4j.onnx.cache.CacheSettings.ENABLED, "on");
        System.setProperty("explain4j.cacheMax", "abc");
        try {
            org.assertj.core.api.Assertions.assertThatThrownBy(org.explain4j.onnx.cache.CacheSettings::derived)
                    .hasMessageContaining("EXPLAIN4J_CACHE_MAX").hasMessageNotContaining("--cache-max");
        } finally {
            restore(org.explain4j.onnx.cache.CacheSettings.ENABLED, on);
            restore("explain4j.cacheMax", max);
        }
    }

    private static void restore(String key, String value) {
        if (value == null) {
            System.clearProperty(key);
        } else {
            System.setProperty(key, value);
        }
    }

    @Test
    void topLevelHelp_namesTheDatasetCommand() {
        CliRunner.Run h = CliRunner.run("--help");
        assertThat(h.exitCode()).isZero();
        assertThat(h.out()).contains("dataset").contains("Spark");
    }
}
