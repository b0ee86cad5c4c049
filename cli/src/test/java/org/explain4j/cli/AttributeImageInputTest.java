package org.explain4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.explain4j.core.Tensor;
import org.explain4j.core.io.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code attribute --input x.png --card card.json}: the image read as explain and the service read it. */
class AttributeImageInputTest {
    private static final Path DIGITS = Path.of("..", "examples", "digits");

    @Test
    void pngInput_givesTheSameResultAsTheTensorItDecodesTo(@TempDir Path dir) throws IOException {
        float[] v = Npy.read(DIGITS.resolve("digits_x.npy")).example(3).toFloatArray();
        BufferedImage img = new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB);
        float[] decoded = new float[64];
        for (int i = 0; i < 64; i++) {
            int g = Math.round(v[i] * 255f);
            img.setRGB(i % 8, i / 8, g << 16 | g << 8 | g);
            // the reader's grey: Rec. 601 luma of the RGB pixel in [0, 1]; the card's mean 0, std 1
            decoded[i] = (float) ((0.299 * (g / 255.0) + 0.587 * (g / 255.0) + 0.114 * (g / 255.0) - 0.0) / 1.0);
        }
        Path png = dir.resolve("three.png");
        ImageIO.write(img, "png", png.toFile());
        Path npy = dir.resolve("three.npy");
        Npy.write(Tensor.ofFloats(decoded, 1, 1, 8, 8), npy);

        Path fromPng = dir.resolve("png.npy");
        Path fromNpy = dir.resolve("npy.npy");
        String model = DIGITS.resolve("digits_cnn.onnx").toString();
        CliRunner.Run a = CliRunner.run("attribute", "--model", model, "--input", png.toString(), "--card",
                DIGITS.resolve("digits_cnn.json").toString(), "--method", "integrated-gradients", "--steps", "8",
                "--target", "3", "--output", fromPng.toString(), "--quiet");
        assertThat(a.exitCode()).as(a.err()).isZero();
        CliRunner.Run b = CliRunner.run("attribute", "--model", model, "--input", npy.toString(), "--method",
                "integrated-gradients", "--steps", "8", "--target", "3", "--output", fromNpy.toString(), "--quiet");
        assertThat(b.exitCode()).as(b.err()).isZero();
        Tensor got = Npy.read(fromPng);
        assertThat(got.shape()).containsExactly(1, 1, 8, 8);
        assertThat(got.toFloatArray()).containsExactly(Npy.read(fromNpy).toFloatArray());
        assertThat(got.toFloatArray()).isNotEqualTo(new float[64]);
    }

    @Test
    void cardMeanAndStd_applyToTheImage(@TempDir Path dir) throws IOException {
        BufferedImage img = new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB);
        for (int i = 0; i < 64; i++) {
            int g = (i * 37) % 256;
            img.setRGB(i % 8, i / 8, g << 16 | g << 8 | g);
        }
        Path png = dir.resolve("x.png");
        ImageIO.write(img, "png", png.toFile());
        Path card = dir.resolve("card.json");
        Files.writeString(card, "{\"preprocessing\": {\"mean\": [0.5], \"std\": [0.25]}}");
        Path plain = dir.resolve("plain.npy");
        Path normalised = dir.resolve("normalised.npy");
        String model = DIGITS.resolve("digits_cnn.onnx").toString();
        // input-x-gradient is linear in the input's values, so the card's normalisation must show
        CliRunner.Run a = CliRunner.run("attribute", "--model", model, "--input", png.toString(), "--method",
                "input-x-gradient", "--target", "1", "--output", plain.toString(), "--quiet");
        CliRunner.Run b = CliRunner.run("attribute", "--model", model, "--input", png.toString(), "--card", card.toString(),
                "--method", "input-x-gradient", "--target", "1", "--output", normalised.toString(), "--quiet");
        assertThat(a.exitCode()).as(a.err()).isZero();
        assertThat(b.exitCode()).as(b.err()).isZero();
        assertThat(Npy.read(normalised).toFloatArray()).isNotEqualTo(Npy.read(plain).toFloatArray());
    }
}
