package org.explain4j.core.method;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.explain4j.core.Attribution;
import org.explain4j.core.DType;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.catalog.MethodCatalog;
import org.explain4j.core.engine.ProgressListener;
import org.explain4j.core.grad.BackwardRequest;
import org.explain4j.core.grad.BackwardResult;
import org.explain4j.core.grad.DifferentiableModel;
import org.explain4j.core.model.ModelInfo;
import org.explain4j.core.model.ModelSignature;
import org.junit.jupiter.api.Test;

/** {@link MethodRun}'s first forward pass runs only when a method reads the outputs' values. */
class FirstForwardPassTest {
    /** The MLP, counting forward rows; {@code declared} false hides its number of outputs. */
    private static final class Counting implements DifferentiableModel {
        final TanhMlp mlp;
        final boolean declared;
        final AtomicInteger forwardRows = new AtomicInteger();

        Counting(TanhMlp mlp, boolean declared) {
            this.mlp = mlp;
            this.declared = declared;
        }

        @Override
        public Tensor forward(Tensor input) {
            forwardRows.addAndGet(input.batchSize());
            return mlp.forward(input);
        }

        @Override
        public BackwardResult backward(Tensor input, Tensor seed, BackwardRequest request) {
            return mlp.backward(input, seed, request);
        }

        @Override
        public ModelSignature signature() {
            ModelSignature s = mlp.signature();
            return declared ? s : ModelSignature.of(DType.FLOAT64, s.exampleShape(), -1);
        }

        @Override
        public ModelInfo info() {
            return mlp.info();
        }
    }

    private static Attribution run(DifferentiableModel m, String method, Tensor x, int[] targets) {
        return MethodCatalog.create(method, m, Map.of(), ProgressListener.NONE).attribute(x, Target.of(targets));
    }

    @Test
    void saliencyWithDeclaredOutputs_runsNoForwardPass_andGivesTheSameGradient() {
        TanhMlp mlp = new TanhMlp(new Random(4), 5, 7, 3);
        Tensor x = Tensor.ofDoubles(new Random(5).doubles(4 * 5, -1, 1).toArray(), 4, 5);
        int[] targets = {0, 2, 1, 2};
        Counting lazy = new Counting(mlp, true);
        Counting eager = new Counting(mlp, false);
        Attribution a = run(lazy, "saliency", x, targets);
        Attribution b = run(eager, "saliency", x, targets);
        assertThat(lazy.forwardRows.get()).as("declared outputs: no forward pass").isZero();
        assertThat(a.diagnostics().modelEvaluations()).as("the 4 backward rows only").isEqualTo(4);
        assertThat(eager.forwardRows.get()).as("undeclared outputs: one forward pass counts them").isEqualTo(4);
        assertThat(b.diagnostics().modelEvaluations()).isEqualTo(4 + 4);
        assertThat(a.values().toDoubleArray()).containsExactly(b.values().toDoubleArray());
        // |d y_t / d x| from the hand-written backward pass
        double[] seeds = new double[4 * 3];
        for (int n = 0; n < 4; n++) {
            seeds[n * 3 + targets[n]] = 1;
        }
        double[] g = mlp.backward(x, Tensor.ofDoubles(seeds, 4, 3), BackwardRequest.gradientOfInput()).inputGradient()
                .orElseThrow().toDoubleArray();
        double[] v = a.values().toDoubleArray();
        for (int i = 0; i < g.length; i++) {
            assertThat(v[i]).as("element " + i).isEqualTo((float) Math.abs(g[i]));
        }
    }

    @Test
    void integratedGradients_readsTheOutputs_soRunsTheForwardPass() {
        Counting m = new Counting(new TanhMlp(new Random(6), 5, 7, 3), true);
        Tensor x = Tensor.ofDoubles(new Random(7).doubles(2 * 5, -1, 1).toArray(), 2, 5);
        run(m, "integrated-gradients", x, new int[] {1, 0});
        assertThat(m.forwardRows.get()).as("f(x) for the completeness gap, then f(baseline)").isGreaterThanOrEqualTo(2);
    }

    /** The MLP, recording the order of its calls. */
    private static final class Recording implements DifferentiableModel {
        final TanhMlp mlp;
        final java.util.List<String> calls = java.util.Collections.synchronizedList(new java.util.ArrayList<>());

        Recording(TanhMlp mlp) {
            this.mlp = mlp;
        }

        @Override
        public Tensor forward(Tensor input) {
            calls.add("forward " + input.batchSize());
            return mlp.forward(input);
        }

        @Override
        public BackwardResult backward(Tensor input, Tensor seed, BackwardRequest request) {
            calls.add("backward " + input.batchSize());
            return mlp.backward(input, seed, request);
        }

        @Override
        public void prepare(BackwardRequest request, int... inputShape) {
            calls.add("prepare " + inputShape[0]);
        }

        @Override
        public ModelSignature signature() {
            return mlp.signature();
        }

        @Override
        public ModelInfo info() {
            return mlp.info();
        }
    }

    @Test
    void integratedGradients_runsTheGapsForwardPasses_whileTheBackwardSessionIsPrepared_withTheSameGap() {
        TanhMlp mlp = new TanhMlp(new Random(8), 5, 7, 3);
        Tensor x = Tensor.ofDoubles(new Random(9).doubles(3 * 5, -1, 1).toArray(), 3, 5);
        Recording m = new Recording(mlp);
        Attribution a = new IntegratedGradients(m, IntegratedGradients.Options.defaults().withSteps(10).withBatchSize(8))
                .attribute(x, Target.of(2));
        // the hint first, then F(x) and F(baseline), then the 30 path rows in batches of 8
        assertThat(m.calls).containsExactly("prepare 8", "forward 3", "forward 3", "backward 8", "backward 8",
                "backward 8", "backward 6");
        // the gap is sum(attributions) - (F(x) - F(0)) for the explained output, computed here apart
        double[] fx = mlp.forward(x).toDoubleArray();
        double[] f0 = mlp.forward(Tensor.zeros(DType.FLOAT64, 3, 5)).toDoubleArray();
        double[] gap = a.diagnostics().completenessGap().orElseThrow();
        double[] v = a.values().toDoubleArray();
        for (int n = 0; n < 3; n++) {
            double sum = 0;
            for (int e = 0; e < 5; e++) {
                sum += (float) v[n * 5 + e];
            }
            assertThat(gap[n]).as("example " + n).isCloseTo(sum - (fx[n * 3 + 2] - f0[n * 3 + 2]),
                    org.assertj.core.api.Assertions.within(1e-6));
        }
    }
}
