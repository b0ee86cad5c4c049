package org.explain4j.viz.text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.util.List;
import org.explain4j.core.Explain4jException;
import org.explain4j.viz.Scale;
import org.explain4j.viz.SignMode;
import org.junit.jupiter.api.Test;

/** Highlighted pieces and token matrices as pictures: colours follow the values' signs and sizes. */
class TextPictureTest {
    /** The colour at the middle of the box of the first piece of the first line (label column, then boxes). */
    static int firstBoxColour(BufferedImage img) {
        // title row 30 px + padding 12; boxes start at x = 12 + 215; a row is 30 px high
        return img.getRGB(12 + 215 + 3, 12 + 30 + 8);
    }

    @Test
    void positiveIsRed_negativeIsBlue_zeroIsNeutral() {
        Scale scale = Scale.of(SignMode.SIGNED, 1.0);
        int[] colours = new int[3];
        double[] values = {1.0, -1.0, 0.0};
        for (int i = 0; i < 3; i++) {
            BufferedImage img = TextPicture.render("t", List.of(new TextPicture.Line("A tokens", List.of("word"),
                    new double[] {values[i]})), scale, 600);
            colours[i] = firstBoxColour(img);
        }
        int r = colours[0] >> 16 & 255;
        int b = colours[0] & 255;
        assertThat(r).isGreaterThan(b + 60);
        assertThat(colours[1] & 255).isGreaterThan((colours[1] >> 16 & 255) + 60);
        assertThat(colours[2] >> 16 & 255).isGreaterThan(230);
        assertThat(colours[2] & 255).isGreaterThan(230);
    }

    @Test
    void longLinesWrap_andTheLegendIsBelow() {
        Scale scale = Scale.of(SignMode.SIGNED, 1.0);
        List<String> many = java.util.Collections.nCopies(60, "piece");
        BufferedImage one = TextPicture.render("t", List.of(new TextPicture.Line("a", List.of("piece"), new double[] {0.5})),
                scale, 600);
        BufferedImage wrapped = TextPicture.render("t", List.of(new TextPicture.Line("a", many, new double[60])), scale, 600);
        assertThat(wrapped.getWidth()).isEqualTo(600);
        assertThat(wrapped.getHeight()).isGreaterThan(one.getHeight() + 3 * 30);
        assertThatThrownBy(() -> new TextPicture.Line("a", List.of("x", "y"), new double[1]))
                .isInstanceOf(Explain4jException.class).hasMessageContaining("one value per piece");
    }

    static int brightness(int rgb) {
        return (rgb >> 16 & 255) + (rgb >> 8 & 255) + (rgb & 255);
    }

    @Test
    void tokenMatrix_darkestWhereTheValueIsLargest() {
        double[][] m = {{0.9, 0.1}, {0.0, 1.0}};
        BufferedImage img = TokenMatrixPicture.render("rollout", List.of("[CLS]", "cat"), m, 20);
        // the layout TokenMatrixPicture uses: labels as wide as the widest token + 10, cells below the rotated labels
        java.awt.Font font = new java.awt.Font(java.awt.Font.SANS_SERIF, java.awt.Font.PLAIN, 13);
        java.awt.Graphics2D g = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB).createGraphics();
        int label = Math.max(g.getFontMetrics(font).stringWidth("[CLS]"), g.getFontMetrics(font).stringWidth("cat")) + 10;
        g.dispose();
        int top = 24 + label;
        int full = brightness(img.getRGB(label + 20 + 10, top + 20 + 10));   // (1, 1): 1.0, the maximum
        int high = brightness(img.getRGB(label + 10, top + 10));             // (0, 0): 0.9
        int low = brightness(img.getRGB(label + 20 + 10, top + 10));         // (0, 1): 0.1
        int zero = brightness(img.getRGB(label + 10, top + 20 + 10));        // (1, 0): 0
        assertThat(zero).isGreaterThan(700); // the colour map's lightest colour
        assertThat(low).isLessThan(zero).isGreaterThan(high);
        assertThat(high).isGreaterThan(full);
        assertThatThrownBy(() -> TokenMatrixPicture.render("x", List.of("a"), m, 10)).isInstanceOf(Explain4jException.class);
    }
}
