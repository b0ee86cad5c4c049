package org.explain4j.core.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.explain4j.core.DType;
import org.explain4j.core.ErrorKind;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Tensor;
import org.explain4j.core.engine.ProgressListener;
import org.explain4j.core.model.FunctionModel;
import org.explain4j.core.model.Model;
import org.explain4j.core.model.ModelSignature;
import org.junit.jupiter.api.Test;

/**
 * A metric's error about a non-finite model output names the example whose (perturbed) row gave it,
 * and a target beyond the model's outputs is refused before any metric runs, also for metrics that
 * never call the model.
 */
class MetricTargetsAndExamplesTest {
    private static final double[][] X = {{0.1, 0.2, 0.3, 0.4}, {0.5, 0.6, 0.7, 0.8}, {1000, 1000, 1000, 1000}};
    private static final double[][] A = {{4, 3, 2, 1}, {1, 2, 3, 4}, {2, 1, 4, 3}};

    /**
     * Two outputs (x0, x1); column {@code bad} is NaN for a perturbed row of the third example only
     * (values above 100, one of them set to the baseline 0): its unperturbed row is finite.
     */
    private static Model nanForThePerturbedThirdExample(int bad) {
        return FunctionModel.perExample("nan-third", ModelSignature.of(DType.FLOAT64, new int[] {4}, 2), x -> {
            double[] y = {x[0], x[1]};
            double max = Double.NEGATIVE_INFINITY;
            double min = Double.POSITIVE_INFINITY;
            for (double v : x) {
                max = Math.max(max, v);
                min = Math.min(min, v);
            }
            if (max > 100 && min == 0) {
                y[bad] = Double.NaN;
            }
            return y;
        });
    }

    private static MetricInput input(Model m, int[] targets) {
        return MetricTesting.input(m, MetricTesting.rows(X, 4), MetricTesting.rows(A, 4), targets, Optional.empty(), null, 0, 4);
    }

    @Test
    void nonFiniteTargetOfAPerturbedRow_namesItsExample() {
        // pixel-flipping's rows are example e's steps: e * 4 + j; 4 rows a call, so the third example's
        // rows are a call of their own, whose first row is global row 8
        Model m = nanForThePerturbedThirdExample(1);
        assertThatThrownBy(() -> MetricTesting.run("pixel-flipping", Map.of("perturb-baseline", "0", "softmax", false),
                input(m, new int[] {1, 1, 1}))).isInstanceOfSatisfying(Explain4jException.class, e -> {
                    assertThat(e.kind()).isEqualTo(ErrorKind.NON_FINITE);
                    assertThat(e.argument()).isEqualTo("model output");
                    assertThat(e.getMessage()).contains("at output 1 for example 2 ").doesNotContain("\n");
                });
    }

    @Test
    void nonFiniteOtherOutputUnderSoftmax_namesItsExample() {
        // target 0 is finite; softmax reads output 1, which is NaN for the third example's perturbed rows
        Model m = nanForThePerturbedThirdExample(1);
        assertThatThrownBy(() -> MetricTesting.run("pixel-flipping", Map.of("perturb-baseline", "0", "softmax", true),
                input(m, new int[] {0, 0, 0}))).isInstanceOfSatisfying(Explain4jException.class,
                        e -> assertThat(e.getMessage()).contains("at output 1 for example 2 "));
    }

    @Test
    void modelCalls_nameTheExampleOfEachRow() {
        // rows are two runs of two examples: row 3 is the second example's second variant
        Model m = FunctionModel.perExample("nan-at-3", ModelSignature.of(DType.FLOAT64, new int[] {1}, 2),
                x -> x[0] == 3 ? new double[] {Double.NaN, 0} : new double[] {x[0], 0});
        ModelCalls calls = new ModelCalls(m, 2, ProgressListener.NONE, new int[] {1});
        double[][] rows = {{0}, {1}, {2}, {3}};
        assertThatThrownBy(() -> calls.outputs("t", rows, 2)).isInstanceOfSatisfying(Explain4jException.class,
                e -> assertThat(e.getMessage()).contains("for example 1 "));
        assertThatThrownBy(() -> calls.targets("t", rows, new int[] {0, 0}, false))
                .isInstanceOfSatisfying(Explain4jException.class, e -> assertThat(e.getMessage()).contains("for example 1 "));
        // row r of example r / 2 (consecutive variants): row 3 belongs to example 1 again, row 2 to example 1
        assertThatThrownBy(() -> calls.targets("t", 4, (r, dest) -> dest[0] = r, r -> r / 2, e -> 0, false))
                .isInstanceOfSatisfying(Explain4jException.class, e -> assertThat(e.getMessage()).contains("for example 1 "));
        // rows whose targets leave the NaN column unread are scored
        assertThat(calls.targets("t", 4, (r, dest) -> dest[0] = r, r -> r / 2, e -> 1, false)).containsExactly(0, 0, 0, 0);
        // the target is that of the row's example
        Model id = FunctionModel.perExample("id", ModelSignature.of(DType.FLOAT64, new int[] {1}, 2),
                x -> new double[] {x[0], -x[0]});
        ModelCalls idCalls = new ModelCalls(id, 3, ProgressListener.NONE, new int[] {1});
        assertThat(idCalls.targets("t", 4, (r, dest) -> dest[0] = r, r -> r / 2, e -> e, false))
                .containsExactly(0, 1, -2, -3);
        assertThat(idCalls.targets("t", rows, new int[] {0, 1}, false)).containsExactly(0, -1, 2, -3);
    }

    @Test
    void targetBeyondTheOutputs_refusedForAMetricThatNeverCallsTheModel() {
        Model m = nanForThePerturbedThirdExample(0);
        assertThatThrownBy(() -> MetricTesting.run("sparseness", Map.of(), input(m, new int[] {0, 99, 1})))
                .isInstanceOfSatisfying(Explain4jException.class, e -> {
                    assertThat(e.kind()).isEqualTo(ErrorKind.TARGET);
                    assertThat(e.argument()).isEqualTo("target");
                    assertThat(e.getMessage()).isEqualTo("target 99 is out of range: the model has 2 outputs (0..1); "
                            + "give a class in that range");
                });
        // the last output is a valid target
        assertThat(MetricTesting.run("sparseness", Map.of(), input(m, new int[] {1, 1, 1}))).hasSize(3);
    }

    @Test
    void targetBeyondTheOutputs_methodsAndMetricsGiveTheSameLine() {
        String line = "target 2 is out of range: the model has 2 outputs (0..1); give a class in that range";
        for (org.explain4j.core.Target t : List.of(org.explain4j.core.Target.of(2),
                org.explain4j.core.Target.of(new int[] {0, 2, 1}))) {
            assertThatThrownBy(() -> t.seeds(3, 2)).isInstanceOfSatisfying(Explain4jException.class, e -> {
                assertThat(e.kind()).isEqualTo(ErrorKind.TARGET);
                assertThat(e.argument()).isEqualTo("target");
                assertThat(e.getMessage()).isEqualTo(line);
            });
        }
        Model m = nanForThePerturbedThirdExample(0);
        assertThatThrownBy(() -> MetricTesting.run("sparseness", Map.of(), input(m, new int[] {0, 2, 1})))
                .isInstanceOfSatisfying(Explain4jException.class, e -> assertThat(e.getMessage()).isEqualTo(line));
        // the last output is in range for a method too
        assertThat(org.explain4j.core.Target.of(1).seeds(3, 2)[2]).containsExactly(0.0, 1.0);
    }

    @Test
    void targetBeyondTheOutputs_ofAModelThatDeclaresNoOutputCount_countedByOneForwardPass() {
        Model three = FunctionModel.perExample("undeclared", ModelSignature.of(DType.FLOAT64, new int[] {4}, -1),
                x -> new double[] {x[0], x[1], x[2]});
        assertThatThrownBy(() -> MetricTesting.run("sparseness", Map.of(), input(three, new int[] {0, 3, 1})))
                .isInstanceOfSatisfying(Explain4jException.class, e -> assertThat(e.getMessage())
                        .startsWith("target 3 is out of range: the model has 3 outputs (0..2)"));
        assertThat(MetricTesting.run("sparseness", Map.of(), input(three, new int[] {2, 2, 2}))).hasSize(3);
    }

    @Test
    void theCountingPass_checksNoOutputColumn_soAMaskedLogitOfMinusInfinityIsAllowed() {
        // a masked policy's logits: column 1 is -inf for every example, and no metric reads it
        Model masked = FunctionModel.perExample("masked", ModelSignature.of(DType.FLOAT64, new int[] {4}, -1),
                x -> new double[] {x[0], Double.NEGATIVE_INFINITY, x[2]});
        assertThat(MetricTesting.run("sparseness", Map.of(), input(masked, new int[] {0, 2, 0}))).hasSize(3);
        assertThatThrownBy(() -> MetricTesting.run("sparseness", Map.of(), input(masked, new int[] {0, 3, 0})))
                .isInstanceOfSatisfying(Explain4jException.class, e -> assertThat(e.getMessage())
                        .startsWith("target 3 is out of range: the model has 3 outputs (0..2)"));
    }

    @Test
    void targetBeyondTheOutputs_refusedForALocalisationMetric() {
        Tensor mask = MetricTesting.rows(new double[][] {{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0}}, 4);
        MetricInput in = MetricTesting.input(nanForThePerturbedThirdExample(0), MetricTesting.rows(X, 4),
                MetricTesting.rows(A, 4), new int[] {2, 0, 0}, Optional.of(mask), null, 0, 4);
        assertThatThrownBy(() -> MetricTesting.run("pointing-game", Map.of(), in))
                .isInstanceOfSatisfying(Explain4jException.class, e -> assertThat(e.argument()).isEqualTo("target"));
    }
}
