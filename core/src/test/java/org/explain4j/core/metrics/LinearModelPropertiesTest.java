package org.explain4j.core.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Map;
import java.util.Random;
import org.explain4j.core.Tensor;
import org.explain4j.core.model.FunctionModel;
import org.junit.jupiter.api.Test;

/**
 * On a linear model {@code f(x) = w . x + b} the exact attributions {@code w * x} (relative to a
 * zero baseline) are perfectly faithful: removing any subset S changes the logit by exactly
 * {@code sum_S a}, so faithfulness correlation is 1, and restoring features whose contributions
 * are all non-negative never lowers the output, so monotonicity is 1.
 */
class LinearModelPropertiesTest {
    private static final int N = 5;
    private static final int F = 12;

    /** weights[c][j], inputs (N, F); contributions w_0j * x_j of class 0 non-negative when {@code positive}. */
    private static double[][] weights(Random r, boolean positive) {
        double[][] w = new double[3][F];
        for (double[] row : w) {
            for (int j = 0; j < F; j++) {
                row[j] = r.nextGaussian();
            }
        }
        if (positive) {
            for (int j = 0; j < F; j++) {
                w[0][j] = Math.abs(w[0][j]) + 0.1;
            }
        }
        return w;
    }

    private static double[] inputs(Random r, boolean positive) {
        double[] x = new double[N * F];
        for (int i = 0; i < x.length; i++) {
            x[i] = positive ? 0.1 + r.nextDouble() : r.nextGaussian();
        }
        return x;
    }

    private static Tensor exact(double[][] w, double[] x) {
        double[] a = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            a[i] = w[0][i % F] * x[i];
        }
        return Tensor.ofDoubles(a, N, F);
    }

    @Test
    void exactAttributionsOfALinearModel_faithfulnessCorrelationIsOne() {
        for (long seed = 1; seed <= 3; seed++) {
            Random r = new Random(seed);
            double[][] w = weights(r, false);
            double[] x = inputs(r, false);
            FunctionModel model = FunctionModel.linear(w, new double[] {0.3, -0.2, 0.1}, F);
            Tensor xs = Tensor.ofDoubles(x, N, F);
            Map<String, Object> p = Map.of("nr-runs", 200, "subset-size", 4, "perturb-baseline", "0",
                    "return-aggregate", false);
            double[] exact = MetricFixtures.values(MetricFixtures.run("faithfulness-correlation", p, model, xs, exact(w, x),
                    new int[N], seed, 64));
            assertThat(exact).hasSize(N);
            for (double v : exact) {
                assertThat(v).as("Pearson of sum_S a and the exact logit drop").isCloseTo(1.0, within(1e-9));
            }
            // A random attribution of the same model is far from faithful.
            double[] noise = new double[x.length];
            for (int i = 0; i < noise.length; i++) {
                noise[i] = r.nextGaussian();
            }
            double[] random = MetricFixtures.values(MetricFixtures.run("faithfulness-correlation", p, model, xs,
                    Tensor.ofDoubles(noise, N, F), new int[N], seed, 64));
            for (double v : random) {
                assertThat(v).isLessThan(0.9);
            }
        }
    }

    @Test
    void exactNonNegativeContributions_monotonicityIsOneAndANegativeContributionMakesItZero() {
        Random r = new Random(7);
        double[][] w = weights(r, true);
        double[] x = inputs(r, true);
        FunctionModel model = FunctionModel.linear(w, new double[3], F);
        Map<String, Object> p = Map.of("perturb-baseline", "0", "softmax", false);
        double[] scores = MetricFixtures.values(MetricFixtures.run("monotonicity", p, model, Tensor.ofDoubles(x, N, F),
                exact(w, x), new int[N], 0, 64));
        assertThat(scores).containsOnly(1.0);
        // Feature 3 now lowers the logit: restoring it must show as a decrease (an implementation that
        // never changes the input, like Quantus 0.6.0's, would still say 1).
        w[0][3] = -2.0;
        double[] withNegative = MetricFixtures.values(MetricFixtures.run("monotonicity", p, model(w),
                Tensor.ofDoubles(x, N, F), exact(w, x), new int[N], 0, 64));
        assertThat(withNegative).containsOnly(0.0);
    }

    private static FunctionModel model(double[][] w) {
        return FunctionModel.linear(w, new double[3], F);
    }

    @Test
    void deletionOnALinearModel_curveAndAreaAreTheHandComputedOnes() {
        // f_0(x) = 2 x0 + 1 x1 - 1 x2; x = (1, 1, 1); a = (3, 2, 1): deletion removes x0, x1, x2 in that order.
        double[][] w = {{2, 1, -1}, {0, 0, 0}};
        FunctionModel model = FunctionModel.linear(w, new double[2], 3);
        Tensor x = Tensor.ofDoubles(new double[] {1, 1, 1}, 1, 3);
        Tensor a = Tensor.ofDoubles(new double[] {3, 2, 1}, 1, 3);
        Scores s = MetricFixtures.run("deletion", Map.of("softmax", false), model, x, a, new int[1], 0, 64);
        // curve: f = 2, then 0 (x0 gone), then -1 (x1 gone), then 0 (x2 gone); auc = (1 - 2/2 - 0/2) / 3
        assertThat(s.curves().orElseThrow().toDoubleArray()).containsExactly(2.0, 0.0, -1.0, 0.0);
        assertThat(MetricFixtures.values(s)).containsExactly((1.0 - 1.0 - 0.0) / 3);
        Scores ins = MetricFixtures.run("insertion", Map.of("softmax", false, "substrate", "zeros", "step", 2), model, x, a,
                new int[1], 0, 64);
        // insertion from zeros, 2 then 1 features: 0, 3 (x0, x1 in), 2 (x2 in); n = 2; auc = (5 - 0 - 1) / 2
        assertThat(ins.curves().orElseThrow().toDoubleArray()).containsExactly(0.0, 3.0, 2.0);
        assertThat(MetricFixtures.values(ins)).containsExactly(2.0);
    }
}
