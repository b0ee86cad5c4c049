package org.explain4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.io.Npy;
import org.explain4j.core.method.FeatureAblation;
import org.explain4j.core.method.Occlusion;
import org.explain4j.onnx.OnnxModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Perturbation methods end to end through the command line on a real third-party model: the
 * PP-OCR text-orientation classifier (fixtures/real, opset 9, HardSigmoid, softmax output).
 * The command's values must equal the same method run through the API.
 */
class RealModelsCliTest {
    static final Path PPOCR = Path.of("..", "fixtures", "real", "ch_ppocr_mobile_v2.0_cls_infer.onnx");

    @TempDir
    Path tmp;

    @Test
    void ppOcr_occlusionThroughTheCli_equalsTheApiAndIsZeroOverThePadding() {
        Path x = tmp.resolve("text.npy");
        Npy.write(textLine("Hello 2026"), x);
        Path out = tmp.resolve("occ.npy");
        CliRunner.Run r = CliRunner.run("attribute", "--model", PPOCR.toString(), "--input", x.toString(), "--method", "occlusion",
                "--window", "3,12,16", "--stride", "3,12,16", "--target", "0", "--output", out.toString(), "--quiet");
        assertThat(r.exitCode()).as(r.err()).isZero();
        Tensor cli = Npy.read(out);
        try (OnnxModel m = OnnxModel.load(PPOCR)) {
            Tensor api = new Occlusion(m, Occlusion.Options.window(3, 12, 16).withStride(3, 12, 16))
                    .attribute(Npy.read(x), Target.of(0)).values();
            assertThat(cli.shape()).containsExactly(1, 3, 48, 192);
            assertThat(cli.toFloatArray()).containsExactly(api.toFloatArray());
        }
        // columns 160.. are zero padding, equal to the zero baseline: hiding them changes nothing
        double padding = 0;
        double text = 0;
        for (int y = 0; y < 48; y++) {
            for (int col = 0; col < 192; col++) {
                double v = Math.abs(cli.getDouble(y * 192 + col));
                if (col >= 160) {
                    padding = Math.max(padding, v);
                } else {
                    text = Math.max(text, v);
                }
            }
        }
        assertThat(padding).isZero();
        assertThat(text).isGreaterThan(1e-3);
    }

    @Test
    void ppOcr_featureAblationWithAMaskThroughTheCli_equalsTheApi() {
        Path x = tmp.resolve("text.npy");
        Tensor img = textLine("Java 17");
        Npy.write(img, x);
        // four vertical bands of 48 columns, all channels: four features
        long[] mask = new long[3 * 48 * 192];
        for (int i = 0; i < mask.length; i++) {
            mask[i] = (i % 192) / 48;
        }
        Path maskFile = tmp.resolve("mask.npy");
        Npy.write(Tensor.ofLongs(mask, 1, 3, 48, 192), maskFile);
        Path out = tmp.resolve("abl.npy");
        CliRunner.Run r = CliRunner.run("attribute", "--model", PPOCR.toString(), "--input", x.toString(), "--method",
                "feature-ablation", "--feature-mask", maskFile.toString(), "--target", "0", "--output", out.toString(), "--quiet");
        assertThat(r.exitCode()).as(r.err()).isZero();
        Tensor cli = Npy.read(out);
        try (OnnxModel m = OnnxModel.load(PPOCR)) {
            Tensor api = new FeatureAblation(m, FeatureAblation.Options.defaults()
                    .withFeatureMask(org.explain4j.core.FeatureMask.of(Tensor.ofLongs(mask, 1, 3, 48, 192))))
                    .attribute(img, Target.of(0)).values();
            assertThat(cli.toFloatArray()).containsExactly(api.toFloatArray());
            // each band's value is f(x) - f(x with the band at the baseline), the same over the band
            double p0 = m.forward(img).getDouble(0);
            float[] hidden = img.toFloatArray();
            for (int i = 0; i < hidden.length; i++) {
                if ((i % 192) / 48 == 1) {
                    hidden[i] = 0;
                }
            }
            double p1 = m.forward(Tensor.ofFloats(hidden, img.shape())).getDouble(0);
            assertThat(cli.getDouble(60)).isCloseTo(p0 - p1, org.assertj.core.api.Assertions.within(1e-6));
            assertThat(cli.getDouble(95)).isEqualTo(cli.getDouble(60));
        }
    }

    /** A line of black text on white as PaddleOCR feeds it: height 48, scaled to [-1, 1], zero padding to width 192. */
    static Tensor textLine(String text) {
        int h = 48;
        int w = 192;
        int width = 150;
        BufferedImage img = new BufferedImage(width, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, h);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 30));
        g.drawString(text, 4, 34);
        g.dispose();
        float[] d = new float[3 * h * w];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < width; x++) {
                int rgb = img.getRGB(x, y);
                int[] c = {(rgb >> 16) & 0xff, (rgb >> 8) & 0xff, rgb & 0xff};
                for (int ch = 0; ch < 3; ch++) {
                    d[(ch * h + y) * w + x] = (c[ch] / 255f - 0.5f) / 0.5f;
                }
            }
        }
        return Tensor.ofFloats(d, 1, 3, h, w);
    }
}
