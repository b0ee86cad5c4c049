package org.explain4j.core.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.explain4j.core.metrics.MetricTesting.masked;
import static org.explain4j.core.metrics.MetricTesting.run;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Tensor;
import org.explain4j.core.io.Npy;
import org.explain4j.core.model.FunctionModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalisationMetricsTest {
    @Test
    void pointingGame_tiedMaximumInMask_scoresOneAndEmptyMaskNaN() {
        double[][] a = {{0.1, 0.9, 0.3, 0.9}, {0.1, 0.9, 0.3, 0.9}, {0.1, 0.9, 0.3, 0.9}};
        double[][] s = {{1, 0, 0, 0}, {0, 0, 0, 1}, {0, 0, 0, 0}};
        double[] v = run("pointing-game", Map.of(), masked(a, s, 4));
        assertThat(v[0]).as("maximum outside the mask").isEqualTo(0.0);
        assertThat(v[1]).as("the second of two tied maxima is in the mask").isEqualTo(1.0);
        assertThat(v[2]).as("empty mask (Quantus 0.6.0 gives 1)").isNaN();
    }

    @Test
    void attributionLocalisation_shareInsideMask_withAndWithoutAbs() {
        double[][] a = {{1, -2, 3, 0}};
        double[][] s = {{1, 1, 0, 0}};
        // abs + normalise: (1/3 + 2/3) / (1/3 + 2/3 + 1) = 0.5
        assertThat(run("attribution-localisation", Map.of(), masked(a, s, 4))[0]).isCloseTo(0.5, within(1e-8));
        // signed: (1/3 - 2/3) / (1/3 - 2/3 + 1) = -0.5
        assertThat(run("attribution-localisation", Map.of("abs", false), masked(a, s, 4))[0]).isCloseTo(-0.5, within(1e-8));
        // clipped at 0: 1/3 / (1/3 + 1) = 0.25
        assertThat(run("attribution-localisation", Map.of("abs", false, "positive-attributions", true), masked(a, s, 4))[0])
                .isCloseTo(0.25, within(1e-8));
    }

    @Test
    void topKIntersection_countsTopKInMask_andRefusesLargeK() {
        double[][] a = {{0.5, 0.1, 0.9, 0.3}};
        double[][] s = {{1, 1, 0, 0}};
        assertThat(run("top-k-intersection", Map.of("k", 2), masked(a, s, 4))[0]).isEqualTo(0.5);
        assertThat(run("top-k-intersection", Map.of("k", 2, "concept-influence", true), masked(a, s, 4))[0]).isEqualTo(1.0);
        assertThatThrownBy(() -> run("top-k-intersection", Map.of("k", 4), masked(a, s, 4)))
                .isInstanceOf(Explain4jException.class).hasMessageStartingWith("k 4 must be smaller");
    }

    @Test
    void relevanceRankAndMassAccuracy_handComputed() {
        double[][] a = {{0.5, 0.1, 0.9, 0.3}, {0.5, 0.1, 0.9, 0.3}};
        double[][] s = {{1, 0, 1, 0}, {0, 1, 0, 1}};
        assertThat(run("relevance-rank-accuracy", Map.of(), masked(a, s, 4))).containsExactly(1.0, 0.0);
        double[][] b = {{1, 2, 3, 4}};
        assertThat(run("relevance-mass-accuracy", Map.of(), masked(b, new double[][] {{0, 0, 1, 1}}, 4))[0])
                .isCloseTo(0.7, within(1e-12));
    }

    @Test
    void auc_tiesCountHalf_negativeZeroTiesZero_fullMaskNaN() {
        double[][] a = {{0.9, 0.5, 0.5, 0.1}, {0.0, -0.0, 1, 1}, {1, 2, 3, 4}};
        double[][] s = {{1, 1, 0, 0}, {1, 0, 0, 0}, {1, 1, 1, 1}};
        double[] v = run("auc", Map.of("normalise", false), masked(a, s, 4));
        assertThat(v[0]).isCloseTo(0.875, within(1e-12));
        // in = 0.0; out = -0.0 (tie, 0.5), 1, 1 (losses): 0.5 / 3
        assertThat(v[1]).isCloseTo(0.5 / 3, within(1e-12));
        assertThat(v[2]).isNaN();
    }

    @Test
    void focus_shareOfPositiveRelevanceInLabelledQuadrants(@TempDir Path dir) {
        double[] img = new double[16];
        for (int y = 0; y < 4; y++) {
            for (int x = 0; x < 4; x++) {
                img[y * 4 + x] = y < 2 && x >= 2 ? 3 : (y >= 2 && x < 2 ? -5 : 1);
            }
        }
        Tensor a = Tensor.ofDoubles(img, 1, 1, 4, 4);
        Path q = dir.resolve("q.npy");
        Npy.write(Tensor.ofDoubles(new double[] {0, 1, 0, 0}, 1, 4), q);
        MetricInput in = MetricTesting.input(FunctionModel.linear(new double[1][16], new double[1], 1, 4, 4), a, a, new int[1],
                Optional.empty(), null, 0, 64);
        // positive relevance: TL 4, TR 12, BL 0 (negative), BR 4 -> 12 / 20
        assertThat(run("focus", Map.of("custom-batch", q.toString()), in)[0]).isCloseTo(0.6, within(1e-8));
    }
}
