package org.explain4j.core.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.Random;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Tensor;
import org.explain4j.core.model.FunctionModel;
import org.junit.jupiter.api.Test;

/** Sampling metrics are reproducible from the seed whatever the batch size; bad input fails naming what is wrong. */
class SeedAndErrorsTest {
    private static final int N = 3;
    private static final int F = 16;

    private static FunctionModel model() {
        Random r = new Random(11);
        double[][] w = new double[4][F];
        for (double[] row : w) {
            for (int j = 0; j < F; j++) {
                row[j] = r.nextGaussian();
            }
        }
        return FunctionModel.perExample("tanh-linear", org.explain4j.core.model.ModelSignature.of(
                org.explain4j.core.DType.FLOAT32, new int[] {1, 4, 4}, 4), x -> {
                    double[] y = new double[4];
                    for (int c = 0; c < 4; c++) {
                        for (int j = 0; j < F; j++) {
                            y[c] += w[c][j] * Math.tanh(x[j]);
                        }
                    }
                    return y;
                });
    }

    private static Tensor random(long seed) {
        Random r = new Random(seed);
        float[] v = new float[N * F];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return Tensor.ofFloats(v, N, 1, 4, 4);
    }

    @Test
    void sameSeedDifferentBatchSizes_bitIdenticalScores() {
        Tensor x = random(1);
        Tensor a = random(2);
        int[] t = {0, 1, 2};
        Map<String, Object> fc = Map.of("nr-runs", 30, "subset-size", 5, "perturb-baseline", "uniform", "return-aggregate", false);
        Map<String, Object> mc = Map.of("nr-samples", 4, "features-in-step", 2);
        Map<String, Object> rp = Map.of("patch-size", 2, "order", "random", "perturb-baseline", "uniform");
        Map<String, Object> cap = Map.of("reference", "captum", "n-perturb-samples", 9);
        for (var c : Map.of("faithfulness-correlation", fc, "monotonicity-correlation", mc, "region-perturbation", rp,
                "infidelity", cap).entrySet()) {
            double[] one = MetricFixtures.values(MetricFixtures.run(c.getKey(), c.getValue(), model(), x, a, t, 5, 1));
            double[] seven = MetricFixtures.values(MetricFixtures.run(c.getKey(), c.getValue(), model(), x, a, t, 5, 7));
            double[] other = MetricFixtures.values(MetricFixtures.run(c.getKey(), c.getValue(), model(), x, a, t, 6, 7));
            assertThat(seven).as("%s with batch size 7 vs 1", c.getKey()).containsExactly(one);
            assertThat(other).as("%s with another seed", c.getKey()).isNotEqualTo(one);
        }
    }

    @Test
    void featuresInStepNotDividingTheFeatures_usageErrorNamingIt() {
        assertThatThrownBy(() -> MetricFixtures.run("pixel-flipping", Map.of("features-in-step", 3), model(), random(1),
                random(2), new int[N], 0, 8)).isInstanceOf(Explain4jException.class)
                .hasMessageStartingWith("features-in-step 3 must divide");
    }

    @Test
    void attributionOfAnotherShape_shapeErrorNamingTheAttribution() {
        Tensor a = Tensor.zeros(org.explain4j.core.DType.FLOAT32, N, 16);
        assertThatThrownBy(() -> MetricFixtures.run("faithfulness-estimate", Map.of(), model(), random(1), a, new int[N], 0, 8))
                .isInstanceOf(Explain4jException.class).hasMessageStartingWith("attribution has shape (3, 16)");
    }

    @Test
    void targetBeyondTheOutputs_targetErrorNamingTheRange() {
        assertThatThrownBy(() -> MetricFixtures.run("monotonicity", Map.of(), model(), random(1), random(2),
                new int[] {0, 4, 1}, 0, 8)).isInstanceOf(Explain4jException.class)
                .hasMessageContaining("target 4 is out of range: the model has 4 outputs");
    }

    @Test
    void nanInTheAttribution_errorNamingTheAttribution() {
        float[] v = random(2).toFloatArray();
        v[5] = Float.NaN;
        assertThatThrownBy(() -> MetricFixtures.run("deletion", Map.of(), model(), random(1), Tensor.ofFloats(v, N, 1, 4, 4),
                new int[N], 0, 8)).isInstanceOf(Explain4jException.class)
                .hasMessageStartingWith("attribution holds a non-finite value (NaN) at index [0, 0, 1, 1]");
    }

    @Test
    void captumOnlyFlagWithQuantusReference_refusedByTheCatalogue() {
        assertThatThrownBy(() -> MetricCatalog.get("infidelity").bind(Map.of("noise-std", 0.2)))
                .isInstanceOf(Explain4jException.class).hasMessageContaining("noise-std does not apply to infidelity");
        assertThatThrownBy(() -> MetricCatalog.get("infidelity").bind(Map.of("reference", "captum", "abs", true)))
                .isInstanceOf(Explain4jException.class).hasMessageContaining("abs does not apply to infidelity");
    }
}
