package org.explain4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.explain4j.core.DType;
import org.explain4j.core.Tensor;
import org.explain4j.core.io.Npy;
import org.explain4j.onnx.OnnxModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code demo} and {@code explain}: what they write is read back and checked by value. Each
 * result's .npy and .json agree, each report section's picture is the method's PNG, and each
 * section's "Reproduce" command, run again through {@code explain4j attribute}, gives the same
 * values.
 */
class ExplainAndDemoTest {
    @TempDir
    Path tmp;

    private static final Path DIGITS = Path.of("..", "examples", "digits");

    /** The .npy and .json results of a method agree, the section's picture is its PNG, and its command reproduces it. */
    private Tensor checkResult(Path out, Reports.Section s, boolean picture) {
        String method = s.title();
        Tensor npy = Npy.read(out.resolve(method + ".npy"));
        Tensor json = Reports.jsonValues(out.resolve(method + ".json"));
        assertThat(Reports.relativeError(method + ": .json values against .npy", json, npy))
                .as("%s: .json values, expected those of the .npy", method).isLessThanOrEqualTo(1e-7);
        assertThat(Reports.json(out.resolve(method + ".json")).path("method").asText())
                .as("%s.json: method", method).isEqualTo(method);
        assertThat(npy.dtype() == DType.FLOAT32 || npy.dtype() == DType.FLOAT64).as("%s: floating-point result", method)
                .isTrue();
        if (picture) {
            List<Map.Entry<String, byte[]>> pics = s.pictures();
            assertThat(pics).as("%s: one embedded PNG in its section", method).hasSize(1);
            assertThat(pics.get(0).getKey()).as("%s: picture type", method).isEqualTo("png");
            Reports.assertSamePixels(method + ": report picture against " + method + ".png", Reports.png(pics.get(0).getValue()),
                    Reports.png(out.resolve(method + ".png")));
        }
        Tensor again = Reports.rerun(s, out.resolve(method + ".npy"), tmp.resolve(method + ".rerun.npy"));
        assertThat(Reports.relativeError(method + ": rerun", again, npy))
                .as("%s: the section's reproduce command, run again, expected the same values (max rel. error)", method)
                .isLessThanOrEqualTo(1e-6);
        return npy;
    }

    @Test
    void demo_everyMethodHasAResultAPictureAndASectionWhoseCommandReproducesIt() throws Exception {
        Path out = tmp.resolve("demo");
        CliRunner.Run r = CliRunner.run("demo", "--quiet", "--out", out.toString());
        assertThat(r.exitCode()).as("exit code (expected 0); stderr: %s", r.err()).isZero();
        assertThat(r.out()).as("demo's log: no method skipped").doesNotContain("skipped").contains("report: ");
        String html = Files.readString(out.resolve("report.html"));
        assertThat(html).as("report.html is self-contained").doesNotContain("http://", "https://");
        Map<String, Reports.Section> sections = Reports.sections(html);
        assertThat(sections.keySet()).as("one report section per method, in the catalogue's order")
                .containsExactlyElementsOf(org.explain4j.core.catalog.MethodCatalog.names());

        // the model predicts each bundled digit correctly, and the demo explains the predicted class
        long[] labels = Npy.read(DIGITS.resolve("digits_y.npy")).toLongArray();
        Tensor x = Npy.read(out.resolve("input.npy"));
        assertThat(x).as("demo input, expected the bundled digits").isEqualTo(Npy.read(DIGITS.resolve("digits_x.npy")));
        for (String method : org.explain4j.core.catalog.MethodCatalog.names()) {
            Tensor values = checkResult(out, sections.get(method), true);
            assertThat(values.dim(0)).as("%s: one result per digit", method).isEqualTo(8);
            JsonNode target = Reports.json(out.resolve(method + ".json")).get("target");
            List<Long> t = new ArrayList<>();
            target.forEach(v -> t.add(v.asLong()));
            assertThat(t).as("%s: targets, expected each digit's label (the predicted class)", method)
                    .containsExactly(java.util.Arrays.stream(labels).boxed().toArray(Long[]::new));
        }

        // completeness, computed here from the model itself: IG sums to f(x) - f(0) for the target
        try (OnnxModel model = OnnxModel.load(out.resolve("digits_cnn.onnx"))) {
            Tensor fx = model.forward(x);
            Tensor f0 = model.forward(Tensor.zeros(DType.FLOAT32, x.shape()));
            Tensor ig = Npy.read(out.resolve("integrated-gradients.npy"));
            assertThat(ig.shape()).as("integrated gradients: the input's shape").containsExactly(x.shape());
            JsonNode gaps = Reports.json(out.resolve("integrated-gradients.json")).path("diagnostics").path("completeness_gap");
            assertThat(gaps.size()).as("integrated-gradients.json: one completeness gap per digit").isEqualTo(8);
            for (int n = 0; n < 8; n++) {
                int c = (int) labels[n];
                double delta = fx.getDouble(n * 10 + c) - f0.getDouble(n * 10 + c);
                double sum = 0;
                for (int i = 0; i < 64; i++) {
                    sum += ig.getDouble(n * 64 + i);
                }
                assertThat(gaps.get(n).asDouble()).as("digit %d: reported completeness gap, expected sum - (f(x) - f(0))", n)
                        .isCloseTo(sum - delta, org.assertj.core.data.Offset.offset(1e-4));
                // 50 Gauss-Legendre steps over ReLU and max-pool kinks: a few per cent
                assertThat(sum).as("digit %d: sum of integrated gradients, expected f(x) - f(0) = %s within 5%%", n, delta)
                        .isCloseTo(delta, org.assertj.core.data.Offset.offset(0.05 * Math.abs(delta)));
            }
        }

        // the overview picture is the report's first one
        BufferedImage overview = Reports.png(out.resolve("overview.png"));
        int firstSection = html.indexOf("<section ");
        List<Map.Entry<String, byte[]>> before = new Reports.Section("overview", html.substring(0, firstSection), "")
                .pictures();
        assertThat(before).as("report: one overview picture before the sections").hasSize(1);
        Reports.assertSamePixels("report overview against overview.png", Reports.png(before.get(0).getValue()), overview);
    }

    @Test
    void explain_onAPngImage_predictsExplainsAndReports() throws Exception {
        // One bundled digit (a three) as an 8-bit grayscale PNG.
        Tensor digits = Npy.read(DIGITS.resolve("digits_x.npy"));
        BufferedImage img = new BufferedImage(8, 8, BufferedImage.TYPE_BYTE_GRAY);
        double[] pixels = new double[64];
        for (int y = 0; y < 8; y++) {
            for (int x = 0; x < 8; x++) {
                int v = (int) Math.round(255 * digits.getDouble(3 * 64 + y * 8 + x));
                img.getRaster().setSample(x, y, 0, v);
                pixels[y * 8 + x] = v / 255.0;
            }
        }
        Path png = tmp.resolve("three.png");
        ImageIO.write(img, "png", png.toFile());
        Path out = tmp.resolve("explain");
        CliRunner.Run r = CliRunner.run("explain", "--quiet", "--model", DIGITS.resolve("digits_cnn.onnx").toString(),
                "--input", png.toString(), "--labels", DIGITS.resolve("labels.txt").toString(),
                "--layer", "/relu2/Relu_output_0", "--methods", "saliency,integrated-gradients,occlusion,grad-cam",
                "--heatmap", "absolute", "--overlay", "--shared-scale",
                "--out", out.toString());
        assertThat(r.exitCode()).as("exit code (expected 0); stderr: %s", r.err()).isZero();
        String html = Files.readString(out.resolve("report.html"));
        assertThat(html).as("report: the predicted class's name").contains("three");
        // the PNG's pixels scaled to [0, 1] are the model's input
        Tensor input = Npy.read(out.resolve("input.npy"));
        assertThat(input.shape()).as("input.npy shape").containsExactly(1, 1, 8, 8);
        for (int i = 0; i < 64; i++) {
            assertThat(input.getDouble(i)).as("input pixel %d, expected the PNG's value / 255", i)
                    .isCloseTo(pixels[i], org.assertj.core.data.Offset.offset(1e-6));
        }
        Map<String, Reports.Section> sections = Reports.sections(html);
        assertThat(sections.keySet()).as("report sections, expected the methods asked for")
                .containsExactly("saliency", "integrated-gradients", "occlusion", "grad-cam");
        for (Reports.Section s : sections.values()) {
            checkResult(out, s, true);
            JsonNode target = Reports.json(out.resolve(s.title() + ".json")).get("target");
            assertThat((target.isArray() ? target.get(0) : target).asInt())
                    .as("%s: target, expected the predicted class 3", s.title()).isEqualTo(3);
        }
        assertThat(Npy.read(out.resolve("grad-cam.npy")).shape()).as("grad-cam: the layer's (1, 1, 4, 4)")
                .containsExactly(1, 1, 4, 4);
        // Absolute mode draws magnitudes in reds only: no blue pixels, although IG has negative values.
        double[] ig = Npy.read(out.resolve("integrated-gradients.npy")).toDoubleArray();
        assertThat(java.util.Arrays.stream(ig).min().orElse(0)).as("fixture: IG has a negative value").isNegative();
        BufferedImage igPng = Reports.png(out.resolve("integrated-gradients.png"));
        assertThat(count(igPng, true)).as("blue pixels in integrated-gradients.png (absolute mode)").isZero();
        assertThat(count(igPng, false)).as("red pixels in integrated-gradients.png").isGreaterThan(100);
    }

    /** Clearly blue ({@code blue}) or clearly red pixels. */
    private static int count(BufferedImage img, boolean blue) {
        int count = 0;
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                int rgb = img.getRGB(x, y);
                int r = rgb >> 16 & 255;
                int g = rgb >> 8 & 255;
                int b = rgb & 255;
                count += blue ? (b > r + 80 ? 1 : 0) : (r > b + 80 && r > g + 80 ? 1 : 0);
            }
        }
        return count;
    }

    @Test
    void explain_onACsvTable_drawsBarChartsOfTheResults() throws Exception {
        Path csv = tmp.resolve("rows.csv");
        Tensor x = Npy.read(CliRunner.fixtures().resolve("mlp_softmax_x.npy"));
        List<String> names = List.of("age", "income", "debt", "score", "tenure", "visits", "region", "plan", "clicks", "spend");
        StringBuilder b = new StringBuilder(String.join(",", names) + "\n");
        for (int n = 0; n < 2; n++) {
            for (int j = 0; j < 10; j++) {
                b.append(j == 0 ? "" : ",").append(x.getDouble(n * 10 + j));
            }
            b.append('\n');
        }
        Files.writeString(csv, b);
        Path out = tmp.resolve("tab");
        CliRunner.Run r = CliRunner.run("explain", "--quiet", "--model", CliRunner.fixtures().resolve("mlp_softmax.onnx").toString(),
                "--input", csv.toString(), "--methods", "integrated-gradients,kernel-shap", "--out", out.toString());
        assertThat(r.exitCode()).as("exit code (expected 0); stderr: %s", r.err()).isZero();
        Map<String, Reports.Section> sections = Reports.sections(Files.readString(out.resolve("report.html")));
        assertThat(sections.keySet()).as("report sections").containsExactly("integrated-gradients", "kernel-shap");
        for (Reports.Section s : sections.values()) {
            Tensor v = checkResult(out, s, false);
            assertThat(v.shape()).as("%s: one value per feature and row", s.title()).containsExactly(2, 10);
            List<Map.Entry<String, byte[]>> pics = s.pictures();
            assertThat(pics).as("%s: one embedded SVG bar chart", s.title()).hasSize(1);
            assertThat(pics.get(0).getKey()).as("%s: picture type", s.title()).isEqualTo("svg+xml");
            String svg = new String(pics.get(0).getValue(), java.nio.charset.StandardCharsets.UTF_8);
            // the same chart as the .svg file, up to JFreeSVG's generated clip-path ids
            assertThat(svg.replaceAll("_\\d+clip", "_clip")).as("%s: the report's chart is %s.svg", s.title(), s.title())
                    .isEqualTo(Files.readString(out.resolve(s.title() + ".svg")).replaceAll("_\\d+clip", "_clip"));
            assertThat(svg).as("%s: all 10 feature names in the chart", s.title()).contains(names);
            Reports.png(out.resolve(s.title() + ".png"));
        }
        // KernelSHAP with efficiency: example 0's values sum to f(x) - f(0) for the predicted class
        Tensor shap = Npy.read(out.resolve("kernel-shap.npy"));
        try (OnnxModel model = OnnxModel.load(CliRunner.fixtures().resolve("mlp_softmax.onnx"))) {
            Tensor rows = x.slice(0, 2);
            Tensor fx = model.forward(rows);
            Tensor f0 = model.forward(Tensor.zeros(DType.FLOAT32, 2, 10));
            for (int n = 0; n < 2; n++) {
                int c = Ranks.argmax(fx)[n];
                double sum = 0;
                for (int j = 0; j < 10; j++) {
                    sum += shap.getDouble(n * 10 + j);
                }
                double delta = fx.getDouble(n * 4 + c) - f0.getDouble(n * 4 + c);
                assertThat(sum).as("row %d: sum of KernelSHAP values, expected f(x) - f(0) = %s", n, delta)
                        .isCloseTo(delta, org.assertj.core.data.Offset.offset(1e-4));
            }
        }
    }

    @Test
    void explain_onTokenIds_highlightsWordsAndPaddingGetsNoAblationAttribution() throws Exception {
        Path ids = tmp.resolve("ids.txt");
        Files.writeString(ids, "20 21 47 11 38 0 0\n");
        Path vocab = tmp.resolve("vocab.txt");
        StringBuilder v = new StringBuilder("[PAD]\n");
        for (int i = 1; i < 50; i++) {
            v.append(i % 3 == 0 ? "##piece" + i : "word" + i).append('\n');
        }
        Files.writeString(vocab, v);
        Path out = tmp.resolve("text");
        CliRunner.Run r = CliRunner.run("explain", "--quiet", "--model",
                CliRunner.fixtures().resolve("text_embedding_bag.onnx").toString(), "--input", ids.toString(),
                "--vocab", vocab.toString(), "--layer", "/embedding/Gather_output_0",
                "--methods", "feature-ablation,layer-integrated-gradients", "--out", out.toString());
        assertThat(r.exitCode()).as("exit code (expected 0); stderr: %s", r.err()).isZero();
        String html = Files.readString(out.resolve("report.html"));
        // "##piece21" continues "word20": the two pieces are shown, and attributed, as one word.
        assertThat(html).as("report: word pieces merged").contains(">word20piece21</span>");
        Map<String, Reports.Section> sections = Reports.sections(html);
        assertThat(sections.keySet()).as("report sections").containsExactly("feature-ablation", "layer-integrated-gradients");
        for (Reports.Section s : sections.values()) {
            checkResult(out, s, false);
        }
        // ablating a padding id with the zero baseline (id 0 = padding) changes nothing
        Tensor ablation = Npy.read(out.resolve("feature-ablation.npy"));
        assertThat(ablation.shape()).as("feature-ablation: one value per token").containsExactly(1, 7);
        assertThat(ablation.getDouble(5)).as("padding token 5's ablation attribution").isZero();
        assertThat(ablation.getDouble(6)).as("padding token 6's ablation attribution").isZero();
        assertThat(java.util.Arrays.stream(ablation.toDoubleArray()).limit(5).filter(d -> d != 0).count())
                .as("non-zero attributions of the 5 real tokens").isEqualTo(5);
        Tensor lig = Npy.read(out.resolve("layer-integrated-gradients.npy"));
        assertThat(lig.shape()).as("layer-integrated-gradients: the embedding's (1, 7, 8)").containsExactly(1, 7, 8);
    }

    @Test
    void explain_badInputs_getOneLineErrorsWithTheirExitCodes() {
        CliRunner.Run r = CliRunner.run("explain", "--model", DIGITS.resolve("digits_cnn.onnx").toString(), "--input",
                tmp.resolve("missing.png").toString(), "--out", tmp.toString());
        assertThat(r.exitCode()).as("missing input: exit code of a file error").isEqualTo(org.explain4j.core.ErrorKind.FILE.exitCode());
        assertThat(r.err().strip().lines().count()).as("missing input: one line on stderr, got %s", r.err()).isEqualTo(1);
        assertThat(r.err()).as("missing input: the message names the file").contains("missing.png");
        CliRunner.Run m = CliRunner.run("explain", "--model", DIGITS.resolve("digits_cnn.onnx").toString(), "--input",
                DIGITS.resolve("digits_x.npy").toString(), "--methods", "magic", "--out", tmp.toString());
        assertThat(m.exitCode()).as("unknown method: exit code of a usage error").isEqualTo(org.explain4j.core.ErrorKind.USAGE.exitCode());
        assertThat(m.err()).as("unknown method: the message names it").contains("magic");
    }
}
