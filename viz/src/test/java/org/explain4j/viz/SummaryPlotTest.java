package org.explain4j.viz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.util.List;
import java.util.SplittableRandom;
import org.jfree.chart.plot.XYPlot;
import org.jfree.data.xy.XYDataset;
import org.junit.jupiter.api.Test;

/** The beeswarm and dependence plots: feature order, dot positions and colours read back from the pictures. */
class SummaryPlotTest {
    /** Feature b's attribution grows with its value (large), a's is small noise, c's is zero. */
    private static double[][][] data(int n) {
        SplittableRandom r = new SplittableRandom(3);
        double[][] attr = new double[n][3];
        double[][] val = new double[n][3];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < 3; j++) {
                val[i][j] = r.nextDouble() * 2 - 1;
            }
            attr[i][0] = 0.05 * (r.nextDouble() - 0.5);
            attr[i][1] = 2 * val[i][1];
            attr[i][2] = 0;
        }
        return new double[][][] {attr, val};
    }

    @Test
    void featuresOrderedByMeanAbsoluteAttributionAndDotsAtTheirValues() {
        double[][][] d = data(300);
        SummaryPlot p = SummaryPlot.of("summary", List.of("a", "b", "c"), d[0], d[1], 2);
        assertThat(p.features()).containsExactly("b", "a");
        XYDataset ds = ((XYPlot) p.chart().getPlot()).getDataset();
        assertThat(ds.getSeriesCount()).isEqualTo(2);
        for (int i = 0; i < 300; i++) {
            assertThat(ds.getXValue(0, i)).isEqualTo(d[0][i][1]);
            // b sits on the top row (y = 1), within its swarm band
            assertThat(ds.getYValue(0, i)).isBetween(0.6, 1.4);
            assertThat(ds.getYValue(1, i)).isBetween(-0.4, 0.4);
        }
        assertThat(SummaryPlot.meanAbs(d[0], 3)[2]).isZero();
    }

    @Test
    void redDotsLieRightOfBlueOnesWhenTheAttributionGrowsWithTheValue() {
        double[][][] d = data(400);
        BufferedImage img = SummaryPlot.of("summary", List.of("a", "b", "c"), d[0], d[1], 3).render();
        double[] red = meanX(img, true);
        double[] blue = meanX(img, false);
        assertThat(red[1]).as("red dots found").isGreaterThan(20);
        assertThat(blue[1]).as("blue dots found").isGreaterThan(20);
        assertThat(red[0]).isGreaterThan(blue[0] + 100);
    }

    @Test
    void dependencePlotPutsEachDotAtValueAndAttribution() {
        double[][][] d = data(200);
        double[] v = new double[200];
        double[] a = new double[200];
        double[] c = new double[200];
        for (int i = 0; i < 200; i++) {
            v[i] = d[1][i][1];
            a[i] = d[0][i][1];
            c[i] = d[1][i][0];
        }
        DependencePlot p = DependencePlot.of("b", v, a, "a", c);
        XYDataset ds = ((XYPlot) p.chart().getPlot()).getDataset();
        for (int i = 0; i < 200; i++) {
            assertThat(ds.getXValue(0, i)).isEqualTo(v[i]);
            assertThat(ds.getYValue(0, i)).isEqualTo(a[i]);
        }
        BufferedImage img = p.render();
        // attribution = 2 * value: the dots rise to the right (top-left and bottom-right corners empty)
        assertThat(meanX(img, true)[1] + meanX(img, false)[1]).isGreaterThan(50);
        assertThatThrownBy(() -> DependencePlot.of("b", v, new double[3], null, null)).hasMessageContaining("one attribution per value");
    }

    /** Mean x and count of strongly red (or blue) pixels. */
    private static double[] meanX(BufferedImage img, boolean red) {
        double sum = 0;
        int n = 0;
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                int rgb = img.getRGB(x, y);
                int r = (rgb >> 16) & 0xff;
                int b = rgb & 0xff;
                boolean hit = red ? r > 200 && b < 120 : b > 200 && r < 80;
                if (hit) {
                    sum += x;
                    n++;
                }
            }
        }
        return new double[] {n == 0 ? 0 : sum / n, n};
    }
}
