package org.explain4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.explain4j.core.Tensor;
import org.explain4j.core.io.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExplainAndDemoTest {
    @TempDir
    Path tmp;

    private static final Path DIGITS = Path.of("..", "examples", "digits");

    @Test
    void demo_runsEveryMethodAndWritesAReport() throws Exception {
        Path out = tmp.resolve("demo");
        CliRunner.Run r = CliRunner.run("demo", "--quiet", "--out", out.toString());
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).doesNotContain("skipped").contains("report: ");
        String html = Files.readString(out.resolve("report.html"));
        for (String method : org.explain4j.core.catalog.MethodCatalog.names()) {
            assertThat(out.resolve(method + ".npy")).as(method).exists();
            assertThat(out.resolve(method + ".json")).as(method).exists();
            assertThat(out.resolve(method + ".png")).as(method).exists();
            assertThat(html).as(method).contains("explain4j attribute").contains(method);
        }
        assertThat(html).contains("data:image/png;base64,").doesNotContain("http://").doesNotContain("https://");
        BufferedImage overview = ImageIO.read(out.resolve("overview.png").toFile());
        assertThat(overview.getWidth()).isGreaterThan(1000);
    }

    @Test
    void explain_onAPngImage_predictsExplainsAndReports() throws Exception {
        // One bundled digit as an 8-bit grayscale PNG.
        Tensor digits = Npy.read(DIGITS.resolve("digits_x.npy"));
        BufferedImage img = new BufferedImage(8, 8, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < 8; y++) {
            for (int x = 0; x < 8; x++) {
                int v = (int) Math.round(255 * digits.getDouble(3 * 64 + y * 8 + x));
                img.getRaster().setSample(x, y, 0, v);
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
        assertThat(r.exitCode()).as(r.err()).isZero();
        String html = Files.readString(out.resolve("report.html"));
        assertThat(html).contains("three").contains("integrated-gradients").contains("grad-cam");
        assertThat(Npy.read(out.resolve("input.npy")).shape()).containsExactly(1, 1, 8, 8);
        assertThat(Npy.read(out.resolve("grad-cam.npy")).shape()).containsExactly(1, 1, 4, 4);
        assertThat(out.resolve("saliency.png")).exists();
        // Absolute mode draws magnitudes in reds only: no blue cells, although IG has negative values.
        assertThat(java.util.Arrays.stream(Npy.read(out.resolve("integrated-gradients.npy")).toDoubleArray()).min().orElse(0)).isNegative();
        assertThat(bluePixels(ImageIO.read(out.resolve("integrated-gradients.png").toFile()))).isZero();
    }

    private static int bluePixels(BufferedImage img) {
        int count = 0;
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                int rgb = img.getRGB(x, y);
                int r = rgb >> 16 & 255;
                int b = rgb & 255;
                if (b > r + 80) {
                    count++;
                }
            }
        }
        return count;
    }

    @Test
    void explain_onACsvTable_drawsBarCharts() throws Exception {
        Path csv = tmp.resolve("rows.csv");
        Tensor x = Npy.read(CliRunner.fixtures().resolve("mlp_softmax_x.npy"));
        StringBuilder b = new StringBuilder("age,income,debt,score,tenure,visits,region,plan,clicks,spend\n");
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
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(Files.readString(out.resolve("kernel-shap.svg"))).contains("income");
        assertThat(Files.readString(out.resolve("report.html"))).contains("data:image/svg+xml;base64,")
                .contains("kernel-shap feature attributions");
    }

    @Test
    void explain_onTokenIds_highlightsText() throws Exception {
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
        assertThat(r.exitCode()).as(r.err()).isZero();
        // "##piece21" continues "word20": the two pieces are shown, and attributed, as one word.
        assertThat(Files.readString(out.resolve("report.html"))).contains("word20piece21").contains("layer-integrated-gradients");
    }

    @Test
    void explain_badInputs_getOneLineErrors() {
        CliRunner.Run r = CliRunner.run("explain", "--model", DIGITS.resolve("digits_cnn.onnx").toString(), "--input",
                tmp.resolve("missing.png").toString(), "--out", tmp.toString());
        assertThat(r.exitCode()).isEqualTo(org.explain4j.core.ErrorKind.FILE.exitCode());
        assertThat(r.err().strip().lines().count()).isEqualTo(1);
        CliRunner.Run m = CliRunner.run("explain", "--model", DIGITS.resolve("digits_cnn.onnx").toString(), "--input",
                DIGITS.resolve("digits_x.npy").toString(), "--methods", "magic", "--out", tmp.toString());
        assertThat(m.exitCode()).isEqualTo(org.explain4j.core.ErrorKind.USAGE.exitCode());
    }
}
