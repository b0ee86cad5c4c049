package org.explain4j.core.method;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.explain4j.core.Attribution;
import org.explain4j.core.Baseline;
import org.explain4j.core.DType;
import org.explain4j.core.FeatureMask;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.engine.BatchSize;
import org.explain4j.core.model.FunctionModel;
import org.explain4j.core.model.Model;
import org.explain4j.core.model.ModelSignature;
import org.junit.jupiter.api.Test;

/**
 * The perturbation engine's float32 path (rows written straight into one reused batch array, a
 * permutation's next step copied from the row before it) gives exactly the rows of the generic
 * double path, whatever the batch size: a row that leaked from another batch, a step copied across
 * a batch boundary or from another example, or a stale tail of the reused array would change a
 * value.
 */
class PerturbationBatchesTest {
    private static final int D = 7;
    private static final int C = 3;

    /** A nonlinear function of every element, so any changed element changes the outputs. */
    private static Tensor net(Tensor x) {
        int n = x.batchSize();
        double[] out = new double[n * C];
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < C; c++) {
                double s = 0.1 * c;
                for (int j = 0; j < D; j++) {
                    s += Math.sin(1.0 + j + 2.0 * c) * x.getDouble(i * D + j) * (1 + 0.25 * j);
                }
                out[i * C + c] = Math.tanh(s) + 0.05 * s * s;
            }
        }
        return Tensor.ofDoubles(out, n, C);
    }

    /** The same function taking float32 rows (the fast path) or float64 rows (the generic path). */
    private static Model model(DType type, List<Integer> batches) {
        Function<Tensor, Tensor> f = x -> {
            assertThat(x.dtype()).isEqualTo(type);
            batches.add(x.batchSize());
            return net(x);
        };
        return FunctionModel.batched("net-" + type.label(), ModelSignature.of(type, new int[] {D}, C), f);
    }

    /** Inputs exactly representable in float32 (multiples of 1/8), so both paths see the same values. */
    private static Tensor input(int n, long seed) {
        java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
        double[] v = new double[n * D];
        for (int i = 0; i < v.length; i++) {
            v[i] = (r.nextInt(33) - 16) / 8.0;
        }
        return Tensor.ofDoubles(v, n, D);
    }

    private static final FeatureMask GROUPS = FeatureMask.of(Tensor.ofLongs(new long[] {0, 1, 1, 2, 3, 3, 3}, 1, D));

    private interface Method {
        Attribution run(Model m, int batch, Tensor x);
    }

    private static void sameForAllBatchSizes(String what, Tensor x, Target t, Method method) {
        List<Integer> wide = new ArrayList<>();
        float[] reference = method.run(model(DType.FLOAT64, wide), 1000, x.to(DType.FLOAT64)).values().toFloatArray();
        assertThat(reference).as(what + ": attributions not all zero").isNotEqualTo(new float[reference.length]);
        for (int batch : new int[] {1, 2, 3, 5, 7, 11, 64, BatchSize.AUTO}) {
            List<Integer> seen = new ArrayList<>();
            Attribution a = method.run(model(DType.FLOAT32, seen), batch, x.to(DType.FLOAT32));
            assertThat(a.values().toFloatArray()).as(what + ", float32 rows, batch " + batch).isEqualTo(reference);
            if (batch > 1) {
                // several batches, the last one ragged, all through the reused array
                assertThat(seen.size()).as(what + ": calls at batch " + batch).isGreaterThan(1);
            }
        }
    }

    @Test
    void shapleySampling_floatPathEqualsDoublePath_atEveryBatchSize() {
        Tensor x = input(5, 1);
        Target t = Target.of(0, 1, 2, 1, 0);
        for (boolean antithetic : new boolean[] {true, false}) {
            sameForAllBatchSizes("shapley elementwise", x, t, (m, b, xx) -> new ShapleyValueSampling(m,
                    ShapleyValueSampling.Options.defaults().withSamples(9).withSeed(3).withAntithetic(antithetic)
                            .withExact(ShapleyValueSampling.Exact.NEVER).withBatchSize(b)).attribute(xx, t));
            sameForAllBatchSizes("shapley groups", x, t, (m, b, xx) -> new ShapleyValueSampling(m,
                    ShapleyValueSampling.Options.defaults().withSamples(6).withSeed(4).withAntithetic(antithetic)
                            .withFeatureMask(GROUPS).withExact(ShapleyValueSampling.Exact.NEVER).withBatchSize(b))
                    .attribute(xx, t));
        }
        // a non-zero baseline, one per example, and a distribution of baseline rows (several rows a job)
        Baseline one = Baseline.of(input(5, 9));
        sameForAllBatchSizes("shapley, baseline per example", x, t, (m, b, xx) -> new ShapleyValueSampling(m,
                ShapleyValueSampling.Options.defaults().withSamples(5).withSeed(5).withBaseline(one)
                        .withExact(ShapleyValueSampling.Exact.NEVER).withBatchSize(b)).attribute(xx, t));
        Baseline dist = Baseline.distribution(input(3, 11));
        sameForAllBatchSizes("shapley, baseline distribution", x, t, (m, b, xx) -> new ShapleyValueSampling(m,
                ShapleyValueSampling.Options.defaults().withSamples(4).withSeed(6).withBaseline(dist)
                        .withExact(ShapleyValueSampling.Exact.NEVER).withBatchSize(b)).attribute(xx, t));
        sameForAllBatchSizes("shapley exact", x, t, (m, b, xx) -> new ShapleyValueSampling(m,
                ShapleyValueSampling.Options.defaults().withFeatureMask(GROUPS).withBaseline(one)
                        .withExact(ShapleyValueSampling.Exact.ALWAYS).withBatchSize(b)).attribute(xx, t));
    }

    @Test
    void shapleySampling_inChunksOfExamples_equalsOneChunk() {
        Tensor x = input(7, 21);
        Target t = Target.of(0, 1, 2, 1, 0, 2, 2);
        ShapleyValueSampling.Options o = ShapleyValueSampling.Options.defaults().withSamples(5).withSeed(2)
                .withFeatureMask(GROUPS).withExact(ShapleyValueSampling.Exact.NEVER).withBatchSize(4);
        float[] whole = new ShapleyValueSampling(model(DType.FLOAT32, new ArrayList<>()), o)
                .attribute(x.to(DType.FLOAT32), t).values().toFloatArray();
        long saved = ShapleyValueSampling.chunkJobs;
        try {
            // 5 permutations x 5 steps = 25 rows an example: chunks of 1, 2 and 3 examples, a ragged last
            for (long chunk : new long[] {1, 25, 50, 74}) {
                ShapleyValueSampling.chunkJobs = chunk;
                List<Integer> seen = new ArrayList<>();
                Attribution a = new ShapleyValueSampling(model(DType.FLOAT32, seen), o).attribute(x.to(DType.FLOAT32), t);
                assertThat(a.values().toFloatArray()).as("chunks of %d rows", chunk).isEqualTo(whole);
                assertThat(a.diagnostics().modelEvaluations()).isEqualTo(7 + 7 * 25);
            }
        } finally {
            ShapleyValueSampling.chunkJobs = saved;
        }
    }

    @Test
    void ablationKernelShapAndPermutation_floatPathEqualsDoublePath_atEveryBatchSize() {
        Tensor x = input(6, 2);
        Target t = Target.of(2, 1, 0, 1, 2, 0);
        Baseline one = Baseline.of(input(6, 12));
        sameForAllBatchSizes("ablation", x, t, (m, b, xx) -> new FeatureAblation(m,
                FeatureAblation.Options.defaults().withBaseline(one).withBatchSize(b)).attribute(xx, t));
        sameForAllBatchSizes("ablation groups, distribution", x, t, (m, b, xx) -> new FeatureAblation(m,
                FeatureAblation.Options.defaults().withFeatureMask(GROUPS)
                        .withBaseline(Baseline.distribution(input(4, 13))).withBatchSize(b)).attribute(xx, t));
        sameForAllBatchSizes("kernel-shap", x, t, (m, b, xx) -> new KernelShap(m,
                KernelShap.Options.defaults().withSamples(40).withSeed(8).withBatchSize(b)).attribute(xx, t));
        sameForAllBatchSizes("feature-permutation", x, t, (m, b, xx) -> new FeaturePermutation(m,
                FeaturePermutation.Options.defaults().withSeed(9).withBatchSize(b)).attribute(xx, t));
    }
}
