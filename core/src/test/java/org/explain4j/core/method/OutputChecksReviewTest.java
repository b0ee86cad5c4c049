package org.explain4j.core.method;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.Optional;
import org.explain4j.core.Attribution;
import org.explain4j.core.DType;
import org.explain4j.core.ErrorKind;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.catalog.MethodCatalog;
import org.explain4j.core.engine.EvaluationEngine;
import org.explain4j.core.engine.ProgressListener;
import org.explain4j.core.grad.BackwardRequest;
import org.explain4j.core.grad.BackwardResult;
import org.explain4j.core.grad.DifferentiableModel;
import org.explain4j.core.metrics.ModelCalls;
import org.explain4j.core.model.DenseInput;
import org.explain4j.core.model.FunctionModel;
import org.explain4j.core.model.LocalEvaluation;
import org.explain4j.core.model.Model;
import org.explain4j.core.model.ModelInfo;
import org.explain4j.core.model.ModelOutputs;
import org.explain4j.core.model.ModelSignature;
import org.junit.jupiter.api.Test;

/**
 * The finiteness checks of model outputs on every path (whole batches, the dense first layer,
 * incremental evaluation), restricted to the explained values, and the attribution check's
 * message for gradient and perturbation methods.
 */
class OutputChecksReviewTest {
    /** Outputs {@code [NaN, 1]} for every row on the dense and the incremental path; whole passes are finite. */
    private static final class Fast implements Model, DenseInput, LocalEvaluation {
        @Override
        public Tensor forward(Tensor x) {
            return Tensor.ofDoubles(new double[x.batchSize() * 2], x.batchSize(), 2);
        }

        @Override
        public ModelSignature signature() {
            return ModelSignature.of(DType.FLOAT32, new int[] {1, 2, 2}, 2);
        }

        @Override
        public ModelInfo info() {
            return new ModelInfo("fast", "0");
        }

        private static double[] bad(int m) {
            double[] v = new double[m * 2];
            for (int i = 0; i < m; i++) {
                v[2 * i] = Double.NaN;
                v[2 * i + 1] = 1;
            }
            return v;
        }

        @Override
        public DenseInput.Layer denseInput() {
            return new DenseInput.Layer() {
                public int inputs() {
                    return 4;
                }

                public int width() {
                    return 3;
                }

                public double[][] weights() {
                    return new double[4][3];
                }

                public double[] bias() {
                    return new double[3];
                }

                public Tensor forwardFromLayer(double[] h, int m) {
                    return Tensor.ofDoubles(bad(m), m, 2);
                }
            };
        }

        @Override
        public Evaluator local(double[] base, int[] exampleShape, int[][] lo, int[][] hi, int batchSize) {
            return (rows, l, h, filler, consumer) -> {
                for (int r = 0; r < rows; r++) {
                    consumer.accept(r, new double[] {Double.NaN, 1});
                }
            };
        }
    }

    private static void assertModelOutput(Runnable r, String example) {
        assertThatThrownBy(r::run).isInstanceOfSatisfying(Explain4jException.class, e -> {
            assertThat(e.kind()).isEqualTo(ErrorKind.NON_FINITE);
            assertThat(e.argument()).isEqualTo("model output");
            assertThat(e.getMessage()).contains("NaN at output 0").contains("for example " + example).doesNotContain("\n");
        });
    }

    @Test
    void denseLayerPath_checksTheExplainedOutputs_namingTheRowsExample() {
        EvaluationEngine engine = new EvaluationEngine(new Fast(), 4);
        DenseInput.Layer layer = engine.denseInput();
        double[] seen = new double[6];
        // rows 0..2 belong to example 10, rows 3..5 to example 11: the first batch (rows 0..3) fails at row 0
        assertModelOutput(() -> engine.evaluateDense("t", 6, layer, r -> 10 + r / 3, (from, m, dest) -> { },
                (r, o) -> seen[r] = o[0]), "10");
        assertThat(seen).containsOnly(0.0); // nothing reached the consumer
        // only column 1 explained: the NaN in column 0 is nobody's business
        engine.explaining((row, example, column) -> column == 1);
        engine.evaluateDense("t", 6, layer, r -> 10 + r / 3, (from, m, dest) -> { }, (r, o) -> seen[r] = o[1]);
        assertThat(seen).containsOnly(1.0);
    }

    @Test
    void incrementalPath_checksTheExplainedOutputs_namingTheRowsExample() {
        EvaluationEngine engine = new EvaluationEngine(new Fast(), 4);
        int[][] lo = {{0, 0}, {0, 0}, {0, 0}};
        int[][] hi = {{1, 1}, {1, 1}, {1, 1}};
        assertModelOutput(() -> engine.evaluateLocal("t", 3, new int[] {1, 2, 2}, r -> 7, n -> new double[4], lo, hi,
                (r, dest) -> { }, (r, o) -> { }), "7");
        double[] seen = new double[3];
        engine.explaining((row, example, column) -> column == 1);
        assertThat(engine.evaluateLocal("t", 3, new int[] {1, 2, 2}, r -> 7, n -> new double[4], lo, hi,
                (r, dest) -> { }, (r, o) -> seen[r] = o[1])).isTrue();
        assertThat(seen).containsOnly(1.0);
    }

    /** {@code [log(x0 + x1), -inf]}: a masked second logit; F(0) = -inf. */
    private static final class LogModel implements DifferentiableModel {
        @Override
        public Tensor forward(Tensor input) {
            return backward(input, Tensor.zeros(DType.FLOAT64, input.batchSize(), 2),
                    new BackwardRequest(org.explain4j.core.grad.RuleSet.gradient(), java.util.List.of(), Map.of(), false))
                    .output();
        }

        @Override
        public BackwardResult backward(Tensor input, Tensor seed, BackwardRequest request) {
            int n = input.batchSize();
            double[] y = new double[n * 2];
            double[] g = new double[n * 2];
            for (int i = 0; i < n; i++) {
                double s = input.getDouble(2 * i) + input.getDouble(2 * i + 1);
                y[2 * i] = Math.log(s);
                y[2 * i + 1] = Double.NEGATIVE_INFINITY;
                g[2 * i] = seed.getDouble(2 * i) / s;
                g[2 * i + 1] = seed.getDouble(2 * i) / s;
            }
            return new BackwardResult(Tensor.ofDoubles(y, n, 2),
                    request.inputGradient() ? Optional.of(Tensor.ofDoubles(g, input.shape())) : Optional.empty(), Map.of(),
                    Map.of());
        }

        @Override
        public ModelSignature signature() {
            return ModelSignature.of(DType.FLOAT64, new int[] {2}, 2);
        }

        @Override
        public ModelInfo info() {
            return new ModelInfo("log", "0");
        }
    }

    @Test
    void maskedLogit_isExplained_andANonFiniteBaselineOutputOnlyMarksTheGap() {
        Tensor x = Tensor.ofDoubles(new double[] {1, 2}, 1, 2);
        Attribution a = MethodCatalog.create("integrated-gradients", new LogModel(), Map.of(), ProgressListener.NONE)
                .attribute(x, Target.of(0));
        // the integral of 1/(x0+x1) along the path from 0 diverges only at 0, which Gauss-Legendre never reaches
        assertThat(a.values().firstNonFinite()).isEqualTo(-1);
        assertThat(a.values().getDouble(0)).isGreaterThan(0);
        // F(baseline) = log 0 = -inf: the gap is recorded as infinite instead of refusing the explanation
        assertThat(a.diagnostics().completenessGap()).hasValueSatisfying(g -> assertThat(g[0]).isInfinite());
        // the same masked logit for a perturbation method (its target column only is checked)
        Attribution fa = MethodCatalog.create("feature-ablation", new LogModel(), Map.of("baseline", org.explain4j.core.Baseline.constant(1)),
                ProgressListener.NONE).attribute(x, Target.of(0));
        assertThat(fa.values().getDouble(0)).isCloseTo(Math.log(3) - Math.log(3), org.assertj.core.api.Assertions.within(1e-6));
        assertThat(fa.values().getDouble(1)).isCloseTo(Math.log(3) - Math.log(2), org.assertj.core.api.Assertions.within(1e-6));
        // explaining the masked column itself is refused, naming the model output
        assertThatThrownBy(() -> MethodCatalog.create("feature-ablation", new LogModel(), Map.of(), ProgressListener.NONE)
                .attribute(x, Target.of(1))).isInstanceOfSatisfying(Explain4jException.class,
                        e -> assertThat(e.argument()).isEqualTo("model output"));
    }

    @Test
    void metricCalls_checkTheTargetColumn_andSoftmaxRefusesNaNOnly() {
        double[] row = {0.5, Double.NEGATIVE_INFINITY, 2};
        Model m = FunctionModel.perExample("masked", ModelSignature.of(DType.FLOAT64, new int[] {1}, 3), x -> row.clone());
        ModelCalls calls = new ModelCalls(m, 4, ProgressListener.NONE, new int[] {1});
        assertThat(calls.targets("t", new double[][] {{0}}, new int[] {0}, false)).containsExactly(0.5);
        double p = calls.targets("t", new double[][] {{0}}, new int[] {2}, true)[0];
        assertThat(p).isCloseTo(Math.exp(2) / (Math.exp(0.5) + Math.exp(2)), org.assertj.core.api.Assertions.within(1e-12));
        assertThatThrownBy(() -> calls.targets("t", new double[][] {{0}}, new int[] {1}, false))
                .isInstanceOfSatisfying(Explain4jException.class, e -> assertThat(e.argument()).isEqualTo("model output"));
        row[1] = Double.NaN;
        assertThatThrownBy(() -> calls.targets("t", new double[][] {{0}}, new int[] {2}, true))
                .isInstanceOfSatisfying(Explain4jException.class, e -> assertThat(e.argument()).isEqualTo("model output"));
    }

    @Test
    void nonFiniteAttribution_namesTheAttribution_andGradientsOnlyForGradientMethods() {
        // F(x) = (2 x0 - 1) 1.5e308: finite at x0 = 1 and at the baseline 0, their difference is not
        Model huge = FunctionModel.perExample("huge", ModelSignature.of(DType.FLOAT64, new int[] {1}, 1),
                x -> new double[] {(2 * x[0] - 1) * 1.5e308});
        Tensor x = Tensor.ofDoubles(new double[] {1}, 1, 1);
        assertThatThrownBy(() -> MethodCatalog.create("feature-ablation", huge, Map.of(), ProgressListener.NONE)
                .attribute(x, Target.of(0))).isInstanceOfSatisfying(Explain4jException.class, e -> {
                    assertThat(e.kind()).isEqualTo(ErrorKind.NON_FINITE);
                    assertThat(e.argument()).isEqualTo("attribution");
                    assertThat(e.getMessage()).contains("feature-ablation's attribution is").contains("perturbed input")
                            .doesNotContain("gradient").doesNotContain("\n");
                });
        AttributionMethod asGradient = FiniteAttributions.wrap(new FeatureAblation(huge, FeatureAblation.Options.defaults()),
                huge, true);
        assertThatThrownBy(() -> asGradient.attribute(x, Target.of(0))).isInstanceOfSatisfying(Explain4jException.class,
                e -> assertThat(e.getMessage()).contains("gradient").doesNotContain("perturbed input"));
    }

    @Test
    void explainedColumns_ofSeeds() {
        ModelOutputs.Explained e = ModelOutputs.ofSeeds(new double[][] {{0, 1, 0}});
        assertThat(e.reads(0, 0, 1)).isTrue();
        assertThat(e.reads(0, 0, 0)).isFalse();
    }
}
