package org.explain4j.viz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import javax.xml.parsers.DocumentBuilderFactory;
import org.explain4j.core.Explain4jException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FeatureBarChartTest {
    static {
        Fixtures.headless();
    }

    private static final List<String> NAMES = List.of("age", "income", "debt <ratio>", "tenure", "region & zone");
    private static final double[] VALUES = {0.1, -0.5, 0.3, 0.0, -0.3};

    @Test
    void select_sortsByMagnitude_tiesKeepTheCallersOrder_andKeepsTopK() {
        List<FeatureBar> top = FeatureBarChart.select(NAMES, VALUES, 3);
        assertThat(top).extracting(FeatureBar::index).containsExactly(1, 2, 4);
        assertThat(top).extracting(FeatureBar::value).containsExactly(-0.5, 0.3, -0.3);
        assertThat(FeatureBarChart.select(NAMES, VALUES, 99)).extracting(FeatureBar::name)
                .containsExactly("income", "debt <ratio>", "region & zone", "age", "tenure");
    }

    @Test
    void select_putsNaNLast_andRejectsMismatchedOrDuplicateNames() {
        assertThat(FeatureBarChart.select(List.of("a", "b"), new double[] {Double.NaN, -0.1}, 2))
                .extracting(FeatureBar::name).containsExactly("b", "a");
        assertThatThrownBy(() -> FeatureBarChart.select(List.of("a"), new double[] {1, 2}, 2))
                .isInstanceOf(Explain4jException.class).hasMessageContaining("1 feature names but 2 values");
        assertThatThrownBy(() -> FeatureBarChart.select(List.of("a", "a"), new double[] {1, 2}, 2))
                .isInstanceOf(Explain4jException.class).hasMessageContaining("appears twice");
    }

    @Test
    void png_isWrittenAtTheOptionsSize_withPositiveAndNegativeColours(@TempDir Path dir) throws Exception {
        FeatureBarChart chart = FeatureBarChart.of(NAMES, VALUES, BarChartOptions.defaults().withTopK(4));
        Path png = dir.resolve("bars.png");
        chart.writePng(png);
        byte[] bytes = Files.readAllBytes(png);
        assertThat(bytes.length).as("a real chart, not an empty image").isGreaterThan(3000);
        BufferedImage img = ImageIO.read(new ByteArrayInputStream(bytes));
        assertThat(img.getWidth()).isEqualTo(720);
        assertThat(img.getHeight()).isEqualTo(chart.height()).isEqualTo(110 + 4 * 26);
        boolean red = false;
        boolean blue = false;
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                int c = img.getRGB(x, y) & 0xffffff;
                red |= c == FeatureBarChart.POSITIVE.getRGB() - 0xff000000;
                blue |= c == FeatureBarChart.NEGATIVE.getRGB() - 0xff000000;
            }
        }
        assertThat(red).as("a positive bar in red").isTrue();
        assertThat(blue).as("a negative bar in blue").isTrue();
    }

    @Test
    void svg_isWellFormed_andContainsTheFeatureNamesAsText(@TempDir Path dir) throws Exception {
        FeatureBarChart chart = FeatureBarChart.of(NAMES, VALUES, BarChartOptions.defaults());
        Path svg = dir.resolve("bars.svg");
        chart.writeSvg(svg);
        String text = Files.readString(svg, StandardCharsets.UTF_8);
        assertThat(text.length()).isGreaterThan(2000);
        assertThat(text).contains("<svg", "income", "age", "tenure", "debt &lt;ratio&gt;", "region &amp; zone");
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
        f.newDocumentBuilder().parse(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void largestBar_isDrawnAtTheTop() {
        FeatureBarChart chart = FeatureBarChart.of(List.of("small", "big"), new double[] {0.1, 0.9},
                BarChartOptions.defaults());
        BufferedImage img = chart.render();
        int firstRed = -1;
        int lastRed = -1;
        int red = FeatureBarChart.POSITIVE.getRGB() & 0xffffff;
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                if ((img.getRGB(x, y) & 0xffffff) == red) {
                    firstRed = firstRed < 0 ? y : firstRed;
                    lastRed = y;
                }
            }
        }
        int widthTop = 0;
        int widthBottom = 0;
        for (int x = 0; x < img.getWidth(); x++) {
            widthTop += (img.getRGB(x, firstRed + 2) & 0xffffff) == red ? 1 : 0;
            widthBottom += (img.getRGB(x, lastRed - 2) & 0xffffff) == red ? 1 : 0;
        }
        assertThat(widthTop).as("the top bar is the larger value").isGreaterThan(3 * widthBottom);
    }
}
