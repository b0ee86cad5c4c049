package org.explain4j.core.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Tensor;
import org.explain4j.core.io.Npy;
import org.explain4j.core.model.Model;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * IROF by hand on {@code f(x) = x_0 + x_1 + x_2 + x_3} (logits, softmax false) with segments
 * {0, 1} and {2, 3}:
 *
 * <pre>
 * example 0: x = [1, 2, 3, 4], a = [0.1, 0.2, 0.9, 0.4]: segment means 0.17, 0.72 (normalised), so {2, 3} first.
 *   f(x) = 10; mean of [1, 2, 3, 4] = 2.5 -> [1, 2, 2.5, 2.5], f = 8 (0.8);
 *   mean of the current input 2 -> [2, 2, 2.5, 2.5], f = 9 (0.9); score = 2 - (0.8 + 0.9) / 2 = 1.15.
 * example 1: x = [4, 0, 1, 1], a = [-1, 0.5, 0, 0]: |a| means 0.75, 0, so {0, 1} first.
 *   f(x) = 6; mean 1.5 -> [1.5, 1.5, 1, 1], f = 5; mean 1.25 -> [1.5, 1.5, 1.25, 1.25], f = 5.5;
 *   score = 2 - (5/6 + 5.5/6) / 2 = 1.125.
 * </pre>
 *
 * A baseline from the original input instead of the current one would give 1.1 for example 0, and
 * ascending order 0.85.
 */
class IrofTest {
    @TempDir
    Path tmp;

    private static final double[][] X = {{1, 2, 3, 4}, {4, 0, 1, 1}};
    private static final double[][] A = {{0.1, 0.2, 0.9, 0.4}, {-1, 0.5, 0, 0}};

    private MetricInput input() {
        Model m = MetricTesting.linear(new double[][] {{1, 1, 1, 1}}, 4);
        return MetricTesting.input(m, MetricTesting.rows(X, 4), MetricTesting.rows(A, 4), new int[] {0, 0}, Optional.empty(),
                null, 0, 64);
    }

    private Path labels(long[] values, int... shape) {
        Path p = tmp.resolve("segments.npy");
        Npy.write(Tensor.ofLongs(values, shape), p);
        return p;
    }

    @Test
    void twoSegmentsRemovedCumulatively_areaOverTheNormalisedCurveAsComputedByHand() {
        Path seg = labels(new long[] {0, 0, 1, 1}, 4);
        double[] s = MetricTesting.run(Irof.NAME, Map.of("segmentation", seg.toString(), "softmax", false,
                "return-aggregate", false), input());
        assertThat(s).as("IROF per example").containsExactly(new double[] {1.15, 1.125}, within(1e-12));
        double[] mean = MetricTesting.run(Irof.NAME, Map.of("segmentation", seg.toString(), "softmax", false), input());
        assertThat(mean).as("IROF with return-aggregate (the default): the mean, (1,)")
                .containsExactly(new double[] {1.1375}, within(1e-12));
    }

    @Test
    void onePerExampleSegmentation_eachExampleUsesItsOwn() {
        // example 1 as four single-pixel segments: |a| normalised [1, .5, 0, 0], order 0, 1, 2, 3 (ties by label)
        // f = 6; mean 1.5 -> [1.5, 0, 1, 1] 3.5; mean .875 -> [1.5, .875, 1, 1] 4.375; mean 1.09375 -> x_2 = 1.09375,
        // 4.46875; mean 1.1171875 -> x_3 = 1.1171875, 4.5859375; curve /6; score 4 - trapz
        Path seg = labels(new long[] {0, 0, 1, 1, 0, 1, 2, 3}, 2, 4);
        double[] s = MetricTesting.run(Irof.NAME, Map.of("segmentation", seg.toString(), "softmax", false,
                "return-aggregate", false), input());
        double[] c = {3.5 / 6, 4.375 / 6, 4.46875 / 6, 4.5859375 / 6};
        double trapz = (c[0] + c[1]) / 2 + (c[1] + c[2]) / 2 + (c[2] + c[3]) / 2;
        assertThat(s).as("IROF per example with per-example segments").containsExactly(new double[] {1.15, 4 - trapz},
                within(1e-12));
    }

    @Test
    void noSegmentation_gridOfAbout100SquareCells() {
        int[] g = Irof.grid(20, 20);
        assertThat(new int[] {g[0], g[21], g[2], g[40], g[399]}).as("20x20: 2x2 cells labelled row-major")
                .containsExactly(0, 0, 1, 10, 99);
        assertThat(Irof.grid(8, 8)).as("8x8: one cell per pixel").containsExactly(java.util.stream.IntStream.range(0, 64)
                .toArray());
        // on the 4-feature example the grid is one segment per feature: example 0 removes 2, 3, 1, 0 in that order
        double[] s = MetricTesting.run(Irof.NAME, Map.of("softmax", false, "return-aggregate", false), input());
        // f = 10; mean 2.5 -> x_2 = 2.5 (9.5); mean 2.375 -> x_3 (7.875); mean 1.96875 -> x_1 (7.84375);
        // mean 1.9609375 -> x_0 (8.8046875)
        double[] c = {9.5 / 10, 7.875 / 10, 7.84375 / 10, 8.8046875 / 10};
        double trapz = (c[0] + c[1]) / 2 + (c[1] + c[2]) / 2 + (c[2] + c[3]) / 2;
        assertThat(s[0]).as("example 0 on the grid").isCloseTo(4 - trapz, within(1e-12));
    }

    @Test
    void segmentationOfTheWrongShape_isAShapeErrorNamingIt() {
        Path seg = labels(new long[] {0, 1, 2}, 3);
        assertThatThrownBy(() -> MetricTesting.run(Irof.NAME, Map.of("segmentation", seg.toString()), input()))
                .isInstanceOf(Explain4jException.class).hasMessageContaining("segmentation has shape (3)");
    }
}
