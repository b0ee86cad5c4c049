package org.explain4j.core.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.explain4j.core.metrics.MetricTesting.input;
import static org.explain4j.core.metrics.MetricTesting.rows;
import static org.explain4j.core.metrics.MetricTesting.run;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import org.explain4j.core.DType;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Tensor;
import org.explain4j.core.model.Model;
import org.explain4j.core.model.ModelInfo;
import org.explain4j.core.model.ModelSignature;
import org.junit.jupiter.api.Test;

class RandomisationMetricsTest {
    /** y = W2 (W1 x), two 6x6 layers "l1" (input side) and "l2"; randomising draws W from the seed. */
    static final class TwoLayers implements Model, Randomisable {
        final double[][] w1;
        final double[][] w2;
        final List<List<String>> calls;

        TwoLayers(double[][] w1, double[][] w2, List<List<String>> calls) {
            this.w1 = w1;
            this.w2 = w2;
            this.calls = calls;
        }

        double[][] product() {
            double[][] p = new double[6][6];
            for (int i = 0; i < 6; i++) {
                for (int j = 0; j < 6; j++) {
                    for (int k = 0; k < 6; k++) {
                        p[i][j] += w2[i][k] * w1[k][j];
                    }
                }
            }
            return p;
        }

        @Override
        public Tensor forward(Tensor input) {
            double[][] p = product();
            double[] x = input.toDoubleArray();
            int n = input.batchSize();
            double[] out = new double[n * 6];
            for (int r = 0; r < n; r++) {
                for (int i = 0; i < 6; i++) {
                    for (int j = 0; j < 6; j++) {
                        out[r * 6 + i] += p[i][j] * x[r * 6 + j];
                    }
                }
            }
            return Tensor.ofDoubles(out, n, 6);
        }

        @Override
        public ModelSignature signature() {
            return ModelSignature.of(DType.FLOAT64, new int[] {6}, 6);
        }

        @Override
        public ModelInfo info() {
            return new ModelInfo("two-layers", "");
        }

        @Override
        public List<String> layers() {
            return List.of("l1", "l2");
        }

        @Override
        public Model randomised(List<String> layers, long seed) {
            calls.add(layers);
            return new TwoLayers(layers.contains("l1") ? random(seed) : w1, layers.contains("l2") ? random(seed) : w2, calls);
        }

        static double[][] random(long seed) {
            SplittableRandom r = new SplittableRandom(seed);
            double[][] w = new double[6][6];
            for (double[] row : w) {
                for (int j = 0; j < 6; j++) {
                    row[j] = r.nextDouble() - 0.5;
                }
            }
            return w;
        }
    }

    private static final double[][] X = {{0.1, 0.9, 0.2, 0.8, 0.4, 0.3}, {1, 0, 2, 0.5, 0.7, 0.2}};
    private static final int[] T = {0, 3};

    /** The gradient of the target: row t of W2 W1. */
    private static final Explainer GRADIENT = (model, input, targets) -> {
        double[][] p = ((TwoLayers) model).product();
        double[] out = new double[input.size()];
        for (int r = 0; r < input.batchSize(); r++) {
            System.arraycopy(p[targets[r]], 0, out, r * 6, 6);
        }
        return Tensor.ofDoubles(out, input.shape());
    };

    /** An edge detector of the input: |x_i - x_{i-1}|, independent of the model (Adebayo et al.). */
    private static final Explainer EDGES = (model, input, targets) -> {
        double[] x = input.toDoubleArray();
        double[] out = new double[x.length];
        for (int r = 0; r < input.batchSize(); r++) {
            for (int i = 1; i < 6; i++) {
                out[r * 6 + i] = Math.abs(x[r * 6 + i] - x[r * 6 + i - 1]);
            }
        }
        return Tensor.ofDoubles(out, input.shape());
    };

    private static TwoLayers model(List<List<String>> calls) {
        double[][] w1 = new double[6][6];
        double[][] w2 = new double[6][6];
        for (int i = 0; i < 6; i++) {
            for (int j = 0; j < 6; j++) {
                w1[i][j] = Math.sin(1 + i * 6 + j);
                w2[i][j] = Math.cos(2 + i * 7 + j);
            }
        }
        return new TwoLayers(w1, w2, calls);
    }

    private static MetricInput in(TwoLayers m, Explainer e, long seed) {
        Tensor x = rows(X, 6);
        return input(m, x, e.explain(m, x, T), T, Optional.empty(), e, seed, 64);
    }

    @Test
    void mprt_layerOrders_randomiseTheExpectedSets() {
        List<List<String>> calls = new ArrayList<>();
        run("mprt", Map.of(), in(model(calls), GRADIENT, 1));
        assertThat(calls).containsExactly(List.of("l2"), List.of("l2", "l1"));
        calls.clear();
        run("mprt", Map.of("layer-order", "bottom_up"), in(model(calls), GRADIENT, 1));
        assertThat(calls).containsExactly(List.of("l1"), List.of("l1", "l2"));
        calls.clear();
        run("mprt", Map.of("layer-order", "independent"), in(model(calls), GRADIENT, 1));
        assertThat(calls).containsExactly(List.of("l1"), List.of("l2"));
        calls.clear();
        run("mprt", Map.of("skip-layers", true), in(model(calls), GRADIENT, 1));
        assertThat(calls).as("skip-layers computes only the last step").containsExactly(List.of("l2", "l1"));
    }

    @Test
    void mprt_gradientLosesSimilarity_edgeDetectorKeepsOne() {
        double[] grad = run("mprt", Map.of("abs", false), in(model(new ArrayList<>()), GRADIENT, 5));
        assertThat(grad[0]).as("original column: the attribution is the model's own explanation").isCloseTo(1.0, within(1e-12));
        assertThat(grad[2]).as("fully randomised model").isLessThan(0.9);
        double[] edges = run("mprt", Map.of(), in(model(new ArrayList<>()), EDGES, 5));
        assertThat(edges).containsExactly(new double[] {1, 1, 1, 1, 1, 1}, within(1e-12));
    }

    @Test
    void mprt_lastAndAverageColumns() {
        double[] cols = run("mprt", Map.of("abs", false), in(model(new ArrayList<>()), GRADIENT, 5));
        double[] last = run("mprt", Map.of("abs", false, "return-last-correlation", true), in(model(new ArrayList<>()), GRADIENT, 5));
        double[] avg = run("mprt", Map.of("abs", false, "return-average-correlation", true),
                in(model(new ArrayList<>()), GRADIENT, 5));
        assertThat(last).containsExactly(cols[2], cols[5]);
        assertThat(avg[0]).as("mean of all three columns, the original included").isCloseTo((cols[0] + cols[1] + cols[2]) / 3,
                within(1e-12));
        assertThatThrownBy(() -> run("mprt", Map.of("return-average-correlation", true, "return-last-correlation", true),
                in(model(new ArrayList<>()), GRADIENT, 5))).isInstanceOf(Explain4jException.class)
                .hasMessageContaining("cannot both be true");
    }

    @Test
    void smoothMprt_oneSample_equalsMprtBottomUp() {
        double[] smooth = run("smooth-mprt", Map.of("nr-samples", 1), in(model(new ArrayList<>()), GRADIENT, 5));
        double[] plain = run("mprt", Map.of("layer-order", "bottom_up"), in(model(new ArrayList<>()), GRADIENT, 5));
        assertThat(smooth).containsExactly(plain);
    }

    @Test
    void efficientMprt_histogramEntropy_asNumPyAndSciPy() {
        // np.histogram([0, .5, 1, 1], 2) = [1, 3]; scipy.stats.entropy([1, 3]) = 0.5623351446188083
        assertThat(EfficientMprt.histogram(new double[] {0, 0.5, 1, 1}, 2)).containsExactly(1, 3);
        assertThat(EfficientMprt.discreteEntropy(new double[] {0, 0.5, 1, 1}, 2)).isCloseTo(0.5623351446188083, within(1e-15));
        assertThat(EfficientMprt.histogram(new double[] {2, 2}, 3)).as("constant: range 1.5..2.5").containsExactly(0, 2, 0);
        double[] v = run("efficient-mprt", Map.of("abs", true), in(model(new ArrayList<>()), EDGES, 5));
        assertThat(v).as("an input-only explanation does not change").containsOnly(0.0);
    }

    @Test
    void randomLogit_ssimOfIdenticalIsOne_offClassDrawnAwayFromTarget() {
        double[] a = {0.1, 0.5, -0.3, 0.9, 0.2, 0.0, 0.7, 0.4};
        assertThat(RandomLogit.ssim(a, a)).isCloseTo(1.0, within(1e-12));
        // the README's definition with SciPy's uniform_filter(size 7, mode reflect), window entries 3..4
        double[] b = {0.3, 0.1, 0.2, -0.5, 0.6, 0.8, 0.1, 0.0};
        assertThat(RandomLogit.ssim(a, b)).isCloseTo(-0.6113103130599282, within(1e-12));
        List<Integer> drawn = new ArrayList<>();
        Explainer spy = (model, input, targets) -> {
            for (int t : targets) {
                drawn.add(t);
            }
            return input;
        };
        Model m = MetricTesting.linear(new double[6][8], 8);
        Tensor x = rows(new double[][] {a, b}, 8);
        for (long seed = 0; seed < 40; seed++) {
            run("random-logit", Map.of("num-classes", 6), input(m, x, x, T, Optional.empty(), spy, seed, 64));
        }
        for (int i = 0; i < drawn.size(); i += 2) {
            assertThat(drawn.get(i)).isNotEqualTo(T[0]);
            assertThat(drawn.get(i + 1)).isNotEqualTo(T[1]);
        }
        assertThat(new java.util.HashSet<>(drawn)).containsExactlyInAnyOrder(0, 1, 2, 3, 4, 5);
        // the explanation of the off-class equals the attribution: SSIM 1
        assertThat(run("random-logit", Map.of("num-classes", 6), input(m, x, x, T, Optional.empty(), spy, 3, 64)))
                .containsExactly(new double[] {1, 1}, within(1e-12));
        assertThatThrownBy(() -> run("random-logit", Map.of("num-classes", 6, "off-class", new int[] {0, 1}),
                input(m, x, x, T, Optional.empty(), spy, 1, 64))).isInstanceOf(Explain4jException.class).hasMessageStartingWith("off-class 0 of example 0");
    }
}
