package org.explain4j.core.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.explain4j.core.metrics.MetricTesting.input;
import static org.explain4j.core.metrics.MetricTesting.inputTimesGradient;
import static org.explain4j.core.metrics.MetricTesting.linear;
import static org.explain4j.core.metrics.MetricTesting.rows;
import static org.explain4j.core.metrics.MetricTesting.run;

import java.util.Map;
import java.util.Optional;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Tensor;
import org.explain4j.core.model.Model;
import org.junit.jupiter.api.Test;

/** The robustness metrics on a linear model explained by input x gradient, where every value has a closed form. */
class RobustnessMetricsTest {
    private static final double[][] W = {{1, -2, 3, 0.5}, {-1, 1, 0.5, 3}};
    private static final double[][] X = {{1, 2, -1, 3}, {0.5, -1, 2, 1}};
    private static final int[] T = {0, 1};

    private static MetricInput in(long seed, int batch) {
        Model m = linear(W, 4);
        Explainer e = inputTimesGradient(W);
        Tensor x = rows(X, 4);
        return input(m, x, e.explain(m, x, T), T, Optional.empty(), e, seed, batch);
    }

    private static double norm(double[] v) {
        double s = 0;
        for (double d : v) {
            s += d * d;
        }
        return Math.sqrt(s);
    }

    @Test
    void maxSensitivity_constantShift_isShiftTimesWeightNormOverAttributionNorm() {
        double[] v = run("max-sensitivity", Map.of("nr-samples", 5, "lower-bound", 0.1, "upper-bound", 0.1 + 1e-12), in(1, 64));
        for (int n = 0; n < 2; n++) {
            double[] a = new double[4];
            for (int i = 0; i < 4; i++) {
                a[i] = W[T[n]][i] * X[n][i];
            }
            assertThat(v[n]).as("example " + n).isCloseTo(0.1 * norm(W[T[n]]) / norm(a), within(1e-9));
        }
    }

    @Test
    void avgSensitivity_sameSeed_bitIdenticalWhateverBatchSize_otherSeedDiffers() {
        double[] a = run("avg-sensitivity", Map.of("nr-samples", 30), in(7, 64));
        double[] b = run("avg-sensitivity", Map.of("nr-samples", 30), in(7, 1));
        double[] c = run("avg-sensitivity", Map.of("nr-samples", 30), in(8, 64));
        assertThat(b).containsExactly(a);
        assertThat(c[0]).isNotEqualTo(a[0]);
        // symmetric U(-0.2, 0.2) noise: r_s = ||w * u|| / ||a||, with E|u| well below 0.2
        assertThat(a[0]).isPositive().isLessThan(0.2 * norm(W[0]) / norm(new double[] {1, -4, -3, 1.5}));
    }

    @Test
    void maxSensitivityCaptum_constantRadiusBound_andRefusesQuantusFlags() {
        double[] v = run("max-sensitivity", Map.of("reference", "captum", "perturb-radius", 0.1, "n-perturb-samples", 20),
                in(3, 64));
        // |noise| <= 0.1 per element: ||w * u|| / ||w * x|| <= 0.1 ||w|| / ||w * x||
        assertThat(v[0]).isPositive().isLessThanOrEqualTo(0.1 * norm(W[0]) / norm(new double[] {1, -4, -3, 1.5}));
        assertThatThrownBy(() -> run("max-sensitivity", Map.of("reference", "captum", "nr-samples", 3), in(3, 64)))
                .isInstanceOf(Explain4jException.class).hasMessageStartingWith("nr-samples does not apply");
    }

    @Test
    void localLipschitz_constantShift_isWeightNormOverSqrtF() {
        double[] v = run("local-lipschitz-estimate",
                Map.of("nr-samples", 3, "perturb-mean", 0.05, "perturb-std", 0.0, "normalise", false), in(1, 64));
        // ||w * 0.05|| / ||0.05 * 1||
        assertThat(v[0]).isCloseTo(norm(W[0]) / 2, within(1e-6));
        assertThat(v[1]).isCloseTo(norm(W[1]) / 2, within(1e-6));
    }

    @Test
    void continuity_inputAsExplanation_isSqrtTwoForAMovedPixel() {
        Model m = linear(new double[][] {{1, 0, 0, 0}}, 1, 1, 4);
        Explainer identity = (model, x, t) -> x;
        Tensor x = Tensor.ofDoubles(new double[] {1, 0, 0, 0}, 1, 1, 1, 4);
        MetricInput in = input(m, x, x, new int[1], Optional.empty(), identity, 0, 64);
        // dx = 9 // 9 = 1, t = -3..5: a pixel moved inside: ||.||_1 = 2, ||.||_2 = sqrt 2; moved out: 1 and 1
        double v = run("continuity", Map.of("nr-steps", 9, "abs", false, "normalise", false), in)[0];
        assertThat(v).isCloseTo(Math.sqrt(2), within(1e-8));
    }

    @Test
    void relativeInputStability_inputTimesGradientOfLinearModel_isOne() {
        double[] v = run("relative-input-stability", Map.of("nr-samples", 4, "lower-bound", 0.05, "upper-bound", 0.05 + 1e-12,
                "return-nan-when-prediction-changes", false), in(2, 64));
        // (e - e_s) / e = -s / x = (x - x_s) / x elementwise
        assertThat(v).containsExactly(new double[] {1.0, 1.0}, within(1e-6));
    }

    @Test
    void relativeOutputStability_constantShift_isRelativeExplanationChangeOverLogitChange() {
        double s = 0.05;
        double[] v = run("relative-output-stability", Map.of("nr-samples", 2, "lower-bound", s, "upper-bound", s + 1e-12,
                "return-nan-when-prediction-changes", false), in(2, 64));
        for (int n = 0; n < 2; n++) {
            double[] rel = new double[4];
            for (int i = 0; i < 4; i++) {
                rel[i] = s / X[n][i];
            }
            double[] dh = {s * (W[0][0] + W[0][1] + W[0][2] + W[0][3]), s * (W[1][0] + W[1][1] + W[1][2] + W[1][3])};
            assertThat(v[n]).as("example " + n).isCloseTo(norm(rel) / norm(dh), within(1e-6));
        }
    }

    @Test
    void relativeInputStability_predictionChange_isNaN() {
        // a shift of 10 moves example 1 from class 0 (9 against 2.5) to class 1 (34 against 37.5)
        double[] v = run("relative-input-stability", Map.of("nr-samples", 2, "lower-bound", 10.0, "upper-bound", 10.0 + 1e-9),
                in(2, 64));
        assertThat(v[0]).isNotNaN();
        assertThat(v[1]).isNaN();
    }

    @Test
    void consistency_sameDiscretisedExplanation_sameClassShare() {
        double[][] x = {{3, 0, 0, 0}, {2, 0, 0, 0}, {0, 3, 0, 0}, {0, 0, 3, 0}};
        double[][] a = {{1, 0, 0, 0}, {2, 0, 0, 0}, {0, 0, 1, 0}, {0, 0, 5, 0}};
        Model m = linear(new double[][] {{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0}}, 4);
        MetricInput in = input(m, rows(x, 4), rows(a, 4), new int[4], Optional.empty(), null, 0, 64);
        // 0 and 1: same signs, same class 0 -> 1; 2 (class 1) and 3 (class 2): same signs, other class -> 0
        assertThat(run("consistency", Map.of(), in)).containsExactly(new double[] {1, 1, 0, 0}, within(1e-8));
    }
}
