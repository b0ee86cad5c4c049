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
import org.explain4j.core.model.ModelInfo;
import org.explain4j.core.model.ModelSignature;
import org.junit.jupiter.api.Test;

class AxiomaticMetricsTest {
    private static final double[][] W = {{1, 0, 2, 0}, {0.5, -1, 1, 3}};

    @Test
    void completeness_exactAttributionHasNoGap_doubledOneHasGapEqualToOutput() {
        Model m = linear(W, 4);
        Tensor x = rows(new double[][] {{1, 1, 1, 1}, {2, -1, 0.5, 1}}, 4);
        int[] t = {0, 1};
        Tensor a = inputTimesGradient(W).explain(m, x, t);
        MetricInput in = input(m, x, a, t, Optional.empty(), null, 0, 64);
        Map<String, Object> p = Map.of("normalise", false, "perturb-baseline", "0");
        assertThat(run("completeness", p, in)).containsExactly(new double[] {0, 0}, within(1e-12));
        Tensor doubled = Tensor.ofDoubles(java.util.Arrays.stream(a.toDoubleArray()).map(v -> 2 * v).toArray(), 2, 4);
        // sum(2 w x) - (w x - 0) = w x: 3 and 1 + 1 - 0.5... = 0.5*2 + 1 + 0.5 + 3
        double[] gap = run("completeness", p, input(m, x, doubled, t, Optional.empty(), null, 0, 64));
        assertThat(gap).containsExactly(new double[] {3, 5.5}, within(1e-12));
        // black baseline = the example's minimum: f(x_b) = min(x) * sum(w)
        double[] black = run("completeness", Map.of("normalise", false), in);
        assertThat(black).containsExactly(new double[] {3, 3.5 * -1}, within(1e-12));
    }

    @Test
    void nonSensitivity_countsFeaturesWhereZeroAttributionAndNoEffectDisagree() {
        Model m = linear(W, 4);
        Tensor x = rows(new double[][] {{1, 1, 1, 1}}, 4);
        Tensor a = rows(new double[][] {{1, 0, 0, 1}}, 4);
        MetricInput in = input(m, x, a, new int[] {0}, Optional.empty(), null, 0, 64);
        // no effect: features 1, 3 (w = 0); zero attribution: 1, 2 -> disagree at 2 and 3
        assertThat(run("non-sensitivity", Map.of("softmax", false, "perturb-baseline", "0"), in)).containsExactly(2.0);
        MetricSpec spec = MetricCatalog.get("completeness");
        assertThatThrownBy(() -> spec.factory().create(spec.bind(Map.of("perturb-baseline", "grey"))))
                .isInstanceOf(Explain4jException.class).hasMessageStartingWith("perturb-baseline 'grey' must be");
        assertThatThrownBy(() -> run("non-sensitivity", Map.of("features-in-step", 3), in))
                .isInstanceOf(Explain4jException.class).hasMessageStartingWith("features-in-step 3 must divide");
    }

    /** f(x) = W x; its "shifted" copy computes f(x - shift), as a compensated first layer does. */
    static final class Shiftable implements Model, InputShiftable {
        final double shift;

        Shiftable(double shift) {
            this.shift = shift;
        }

        @Override
        public Tensor forward(Tensor input) {
            double[] x = input.toDoubleArray().clone();
            for (int i = 0; i < x.length; i++) {
                x[i] -= shift;
            }
            return linear(W, 4).forward(Tensor.ofDoubles(x, input.shape()));
        }

        @Override
        public ModelSignature signature() {
            return ModelSignature.of(org.explain4j.core.DType.FLOAT64, new int[] {4}, 2);
        }

        @Override
        public ModelInfo info() {
            return new ModelInfo("shiftable", "");
        }

        @Override
        public Model shiftedFirstLayer(double inputShift, int[] exampleShape) {
            return new Shiftable(inputShift);
        }
    }

    @Test
    void inputInvariance_gradientIsInvariant_inputTimesGradientIsNot() {
        Model m = new Shiftable(0);
        Tensor x = rows(new double[][] {{1, 2, 3, 4}}, 4);
        int[] t = {1};
        Explainer gradient = (model, in, targets) -> Tensor.ofDoubles(W[targets[0]].clone(), 1, 4);
        MetricInput g = input(m, x, gradient.explain(m, x, t), t, Optional.empty(), gradient, 0, 64);
        assertThat(run("input-invariance", Map.of(), g)).containsExactly(1.0);
        Explainer ixg = inputTimesGradient(W);
        MetricInput p = input(m, x, ixg.explain(m, x, t), t, Optional.empty(), ixg, 0, 64);
        assertThat(run("input-invariance", Map.of(), p)).containsExactly(0.0);
        assertThatThrownBy(() -> run("input-invariance", Map.of(), input(linear(W, 4), x, x, t, Optional.empty(), gradient, 0,
                64))).isInstanceOf(Explain4jException.class).hasMessageContaining("first layer can be edited");
    }
}
