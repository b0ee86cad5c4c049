package org.explain4j.core.method;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.explain4j.core.Attribution;
import org.explain4j.core.Baseline;
import org.explain4j.core.DType;
import org.explain4j.core.ErrorKind;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.FeatureMask;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.io.AttributionJson;
import org.explain4j.core.model.FunctionModel;
import org.explain4j.core.model.Model;
import org.explain4j.core.model.ModelSignature;
import org.junit.jupiter.api.Test;

class MethodSpecificsTest {
    /** f(x) = max over a 1x4 signal: occlusion with a window of 2 and stride 2 is easy to work out by hand. */
    private final Model max4 = FunctionModel.perExample("max", ModelSignature.of(DType.FLOAT64, new int[] {1, 4}, 1), v -> {
        double m = Double.NEGATIVE_INFINITY;
        for (double d : v) {
            m = Math.max(m, d);
        }
        return new double[] {m};
    });

    @Test
    void occlusion_averagesOverCoveringWindows() {
        Tensor x = Tensor.ofDoubles(new double[] {1, 5, 2, 3}, 1, 1, 4);
        // Windows of 2, stride 1: [0,1] -> max(0,0,2,3)=3, drop 2; [1,2] -> max(1,0,0,3)=3, drop 2; [2,3] -> 5, drop 0.
        Attribution a = new Occlusion(max4, Occlusion.Options.window(1, 2)).attribute(x, Target.of(0));
        assertThat(a.values().toDoubleArray()).containsExactly(2.0, 2.0, 1.0, 0.0);
        assertThat(a.diagnostics().modelEvaluations()).isEqualTo(1 + 3);
    }

    @Test
    void occlusion_lastWindowIsCutAtTheEdge() {
        Tensor x = Tensor.ofDoubles(new double[] {1, 5, 2, 3}, 1, 1, 4);
        // Window 3, stride 2: positions ceil((4-3)/2)+1 = 2, starting at 0 and 2 (the second cut to [2,3]).
        Attribution a = new Occlusion(max4, Occlusion.Options.window(1, 3).withStride(1, 2)).attribute(x, Target.of(0));
        // [0..2] occluded -> max 3, drop 2; [2..3] occluded -> max 5, drop 0. Element 2 is covered twice.
        assertThat(a.values().toDoubleArray()).containsExactly(2.0, 2.0, 1.0, 0.0);
    }

    @Test
    void occlusion_windowLargerThanInput_isAUsageError() {
        Tensor x = Tensor.ofDoubles(new double[4], 1, 1, 4);
        assertThatThrownBy(() -> new Occlusion(max4, Occlusion.Options.window(1, 5)).attribute(x, Target.of(0)))
                .isInstanceOfSatisfying(Explain4jException.class, e -> assertThat(e.argument()).isEqualTo("window"));
        assertThatThrownBy(() -> new Occlusion(max4, Occlusion.Options.window(2)).attribute(x, Target.of(0)))
                .hasMessageContaining("one value per dimension");
    }

    @Test
    void featureAblation_givesEachGroupsValueToAllItsElements() {
        Model sum = FunctionModel.linear(new double[][] {{1, 2, 3, 4}}, new double[] {0}, 4);
        Tensor x = Tensor.ofDoubles(new double[] {1, 1, 1, 1}, 1, 4);
        FeatureMask mask = FeatureMask.of(Tensor.ofLongs(new long[] {7, 7, 3, 3}, 1, 4));
        Attribution a = new FeatureAblation(sum, FeatureAblation.Options.defaults().withFeatureMask(mask)).attribute(x, Target.of(0));
        assertThat(a.values().toDoubleArray()).containsExactly(3, 3, 7, 7);
    }

    @Test
    void baselineDistribution_averagesTheOutputOverRows() {
        Model square = FunctionModel.perExample("square", ModelSignature.of(DType.FLOAT64, new int[] {1}, 1),
                v -> new double[] {v[0] * v[0]});
        Tensor x = Tensor.ofDoubles(new double[] {3}, 1, 1);
        Baseline rows = Baseline.distribution(Tensor.ofDoubles(new double[] {1, -2}, 2, 1));
        Attribution a = new FeatureAblation(square, FeatureAblation.Options.defaults().withBaseline(rows)).attribute(x, Target.of(0));
        // 9 - mean(1, 4)
        assertThat(a.values().getDouble(0)).isCloseTo(6.5, within(1e-12));
    }

    @Test
    void lime_onALinearModel_fitsPerfectly() {
        Model lin = FunctionModel.linear(new double[][] {{0.5, -1, 2}}, new double[] {0.3}, 3);
        Tensor x = Tensor.ofDoubles(new double[] {1, 2, 3}, 1, 3);
        Attribution a = new Lime(lin, Lime.Options.defaults().withAlpha(0).withSamples(100)).attribute(x, Target.of(0));
        assertThat(a.diagnostics().surrogateFit().orElseThrow()[0]).isCloseTo(1.0, within(1e-9));
        assertThat(a.values().toDoubleArray()).containsExactly(new double[] {0.5, -2, 6}, within(1e-6));
        Attribution ridge = new Lime(lin, Lime.Options.defaults().withSamples(100)).attribute(x, Target.of(0));
        assertThat(Math.abs(ridge.values().getDouble(2))).as("ridge shrinks").isLessThan(6);
    }

    @Test
    void featurePermutation_onALinearModel_isWeightTimesDifferenceToThePermutedExample() {
        Model lin = FunctionModel.linear(new double[][] {{2, -3}}, new double[] {0}, 2);
        Tensor x = Tensor.ofDoubles(new double[] {1, 10, 4, 20}, 2, 2);
        Attribution a = new FeaturePermutation(lin, FeaturePermutation.Options.defaults().withSeed(1)).attribute(x, Target.of(0));
        double[] v = a.values().toDoubleArray();
        // Each value is either 0 (kept in place) or w * (x_n - x_other).
        assertThat(v[0]).isIn(0.0, 2.0 * (1 - 4));
        assertThat(v[2]).isIn(0.0, 2.0 * (4 - 1));
        assertThat(v[1]).isIn(0.0, -3.0 * (10 - 20));
        assertThat(v[0] == 0).isEqualTo(v[2] == 0);
    }

    @Test
    void featurePermutation_needsTwoExamples() {
        Model lin = FunctionModel.linear(new double[][] {{2, -3}}, new double[] {0}, 2);
        assertThatThrownBy(() -> new FeaturePermutation(lin, FeaturePermutation.Options.defaults())
                .attribute(Tensor.ofDoubles(new double[2], 1, 2), Target.of(0))).hasMessageContaining("at least 2");
    }

    @Test
    void badInputs_getOneLineErrorsOfTheirKind() {
        Model lin = FunctionModel.linear(new double[][] {{1, 1}, {1, 1}}, new double[] {0, 0}, 2);
        FeatureAblation fa = new FeatureAblation(lin, FeatureAblation.Options.defaults());
        assertKind(() -> fa.attribute(Tensor.ofDoubles(new double[3], 1, 3), Target.of(0)), ErrorKind.SHAPE, "input");
        assertKind(() -> fa.attribute(Tensor.ofDoubles(new double[2], 2), Target.of(0)), ErrorKind.SHAPE, "input");
        assertKind(() -> fa.attribute(Tensor.ofLongs(new long[2], 1, 2), Target.of(0)), ErrorKind.DTYPE, "input");
        assertKind(() -> fa.attribute(Tensor.ofDoubles(new double[] {0, Double.NaN}, 1, 2), Target.of(0)), ErrorKind.NON_FINITE, "input");
        assertKind(() -> fa.attribute(Tensor.ofDoubles(new double[2], 1, 2), Target.of(2)), ErrorKind.TARGET, "target");
        assertKind(() -> fa.attribute(Tensor.ofDoubles(new double[4], 2, 2), Target.of(0, 1, 1)), ErrorKind.TARGET, "target");
        assertKind(() -> Target.of(-1), ErrorKind.TARGET, "target");
        FeatureAblation masked = new FeatureAblation(lin, FeatureAblation.Options.defaults()
                .withFeatureMask(FeatureMask.of(Tensor.ofLongs(new long[3], 1, 3))));
        assertKind(() -> masked.attribute(Tensor.ofDoubles(new double[2], 1, 2), Target.of(0)), ErrorKind.SHAPE, "feature-mask");
        FeatureAblation based = new FeatureAblation(lin, FeatureAblation.Options.defaults()
                .withBaseline(Baseline.of(Tensor.ofDoubles(new double[6], 3, 2))));
        assertKind(() -> based.attribute(Tensor.ofDoubles(new double[4], 2, 2), Target.of(0)), ErrorKind.SHAPE, "baseline");
    }

    @Test
    void json_isVersionedAndCarriesDiagnosticsAndProvenance() {
        Model lin = FunctionModel.linear(new double[][] {{1, 2}}, new double[] {0}, 2);
        Attribution a = new KernelShap(lin, KernelShap.Options.defaults()).attribute(Tensor.ofDoubles(new double[] {1, 1}, 1, 2), Target.of(0));
        var tree = AttributionJson.toTree(a);
        assertThat(tree.get("format").asText()).isEqualTo("explain4j.attribution");
        assertThat(tree.get("version").asInt()).isEqualTo(1);
        assertThat(tree.get("method").asText()).isEqualTo("kernel-shap");
        assertThat(tree.get("values").size()).isEqualTo(2);
        assertThat(tree.get("values").get(1).asDouble()).isCloseTo(2.0, within(1e-6));
        assertThat(tree.get("diagnostics").get("model_evaluations").asLong()).isEqualTo(a.diagnostics().modelEvaluations());
        assertThat(tree.get("diagnostics").has("completeness_gap")).isTrue();
        assertThat(tree.get("provenance").get("model").asText()).isEqualTo("linear");
        assertThat(tree.get("provenance").get("library_version").asText()).isNotBlank();
    }

    private static void assertKind(Runnable r, ErrorKind kind, String argument) {
        assertThatThrownBy(r::run).isInstanceOfSatisfying(Explain4jException.class, e -> {
            assertThat(e.kind()).as(e.getMessage()).isEqualTo(kind);
            assertThat(e.argument()).isEqualTo(argument);
            assertThat(e.getMessage()).doesNotContain("\n");
        });
    }
}
