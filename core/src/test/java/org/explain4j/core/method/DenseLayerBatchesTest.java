package org.explain4j.core.method;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.explain4j.core.Attribution;
import org.explain4j.core.Baseline;
import org.explain4j.core.DType;
import org.explain4j.core.FeatureMask;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.engine.BatchSize;
import org.explain4j.core.model.DenseInput;
import org.explain4j.core.model.Model;
import org.explain4j.core.model.ModelInfo;
import org.explain4j.core.model.ModelSignature;
import org.junit.jupiter.api.Test;

/**
 * The incremental dense first layer in the perturbation engine: rows given by their first layer's
 * pre-activation (a permutation's next step following the step before it, per reference row) give
 * the same bits at every batch size and chunking, and the same values as whole forward passes within
 * float32 rounding. A chain state carried across the wrong row (another example, another reference
 * row, a batch boundary) changes values.
 */
class DenseLayerBatchesTest {
    private static final int D = 9;
    private static final int H = 6;
    private static final int C = 3;

    /** A float32 model: h = b + x W (first layer), then a nonlinear rest of h. */
    private static final class Mlp implements Model, DenseInput, org.explain4j.core.model.ParallelForward {
        final double[] w = new double[D * H];
        final double[] b = new double[H];
        final List<Integer> wholeCalls = java.util.Collections.synchronizedList(new ArrayList<>());
        final List<Integer> layerCalls = java.util.Collections.synchronizedList(new ArrayList<>());
        /** The calls the layer asks to run at once ({@link DenseInput.Layer#parallelCalls}). */
        final int parallel;
        /** The threads that ran the layer's calls. */
        final java.util.Set<Thread> layerThreads = java.util.concurrent.ConcurrentHashMap.newKeySet();

        Mlp() {
            this(1);
        }

        Mlp(int parallel) {
            this.parallel = parallel;
            for (int i = 0; i < w.length; i++) {
                w[i] = (float) (Math.sin(1.3 * i + 0.2) * 0.8);
            }
            for (int j = 0; j < H; j++) {
                b[j] = (float) (0.1 * j - 0.2);
            }
        }

        private static double[] rest(double[] h, int n) {
            double[] out = new double[n * C];
            for (int i = 0; i < n; i++) {
                for (int c = 0; c < C; c++) {
                    double s = 0.05 * c;
                    for (int j = 0; j < H; j++) {
                        s += Math.tanh((float) h[i * H + j]) * Math.cos(j + 2.0 * c);
                    }
                    out[i * C + c] = (float) (s + 0.1 * s * s);
                }
            }
            return out;
        }

        @Override
        public Tensor forward(Tensor x) {
            assertThat(x.dtype()).isEqualTo(DType.FLOAT32);
            int n = x.batchSize();
            wholeCalls.add(n);
            double[] h = new double[n * H];
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < H; j++) {
                    float s = (float) b[j];
                    for (int e = 0; e < D; e++) {
                        s += (float) x.getDouble(i * D + e) * (float) w[e * H + j];
                    }
                    h[i * H + j] = s;
                }
            }
            return Tensor.ofDoubles(rest(h, n), n, C);
        }

        /** The whole model's calls run at once by the engine (the same {@code parallel} as the layer's). */
        @Override
        public int parallelCalls() {
            return parallel;
        }

        final java.util.Set<Thread> wholeThreads = java.util.concurrent.ConcurrentHashMap.newKeySet();

        @Override
        public Tensor forwardOnOneThread(Tensor x) {
            wholeThreads.add(Thread.currentThread());
            if (parallel > 1) {
                Thread.yield();
            }
            return forward(x);
        }

        @Override
        public ModelSignature signature() {
            return ModelSignature.of(DType.FLOAT32, new int[] {D}, C);
        }

        @Override
        public ModelInfo info() {
            return new ModelInfo("dense-mlp", "0");
        }

        @Override
        public DenseInput.Layer denseInput() {
            Mlp m = this;
            return new DenseInput.Layer() {
                public int inputs() {
                    return D;
                }

                public int width() {
                    return H;
                }

                public double[][] weights() {
                    double[][] rows = new double[D][H];
                    for (int e = 0; e < D; e++) {
                        System.arraycopy(w, e * H, rows[e], 0, H);
                    }
                    return rows;
                }

                public double[] bias() {
                    return b;
                }

                public int parallelCalls() {
                    return parallel;
                }

                public Tensor forwardFromLayer(double[] h, int n) {
                    assertThat(h.length).isGreaterThanOrEqualTo(n * H);
                    m.layerCalls.add(n);
                    m.layerThreads.add(Thread.currentThread());
                    if (parallel > 1) {
                        // let the calls overlap, so that a filler sharing state with another would be caught
                        Thread.yield();
                    }
                    return Tensor.ofDoubles(rest(h, n), n, C);
                }
            };
        }
    }

    private static Tensor input(int n, long seed) {
        java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
        double[] v = new double[n * D];
        for (int i = 0; i < v.length; i++) {
            v[i] = r.nextDouble(-2, 2);
        }
        return Tensor.ofDoubles(v, n, D).to(DType.FLOAT32);
    }

    private static final FeatureMask GROUPS = FeatureMask.of(Tensor.ofLongs(new long[] {0, 1, 1, 2, 3, 3, 3, 4, 4}, 1, D));

    private interface Method {
        Attribution run(Model m, int batch, boolean incremental);
    }

    /** Bit-identical at every batch size through the dense layer; close to whole passes; counted alike. */
    private static void check(String what, Method method) {
        Mlp wholeModel = new Mlp();
        Attribution whole = method.run(wholeModel, BatchSize.AUTO, false);
        assertThat(wholeModel.layerCalls).as(what + ": incremental off").isEmpty();
        float[] reference = null;
        for (int run = 0; run < 8 * 3; run++) {
            int batch = new int[] {1, 2, 3, 5, 7, 11, 64, BatchSize.AUTO}[run / 3];
            int parallel = 1 + run % 3;
            Mlp m = new Mlp(parallel);
            Attribution a = method.run(m, batch, true);
            if (parallel > 1 && batch > 1 && batch < 64) {
                assertThat(m.layerThreads.size()).as(what + ": calls on %d threads at batch %d", parallel, batch)
                        .isEqualTo(parallel);
            }
            assertThat(m.wholeCalls.stream().mapToInt(Integer::intValue).sum()).as(what + ": only the explained pass is whole")
                    .isEqualTo(a.values().batchSize());
            assertThat(m.layerCalls).as(what + ": dense calls").isNotEmpty();
            if (batch > 1 && batch < 64) {
                assertThat(m.layerCalls.size()).as(what + ": several batches at " + batch).isGreaterThan(1);
            }
            assertThat(a.diagnostics().modelEvaluations()).isEqualTo(whole.diagnostics().modelEvaluations());
            float[] v = a.values().toFloatArray();
            if (reference == null) {
                reference = v;
                double[] want = whole.values().toDoubleArray();
                double scale = 0;
                double diff = 0;
                for (int i = 0; i < v.length; i++) {
                    scale = Math.max(scale, Math.abs(want[i]));
                    diff = Math.max(diff, Math.abs(want[i] - v[i]));
                }
                assertThat(scale).isGreaterThan(0);
                assertThat(diff).as(what + ": against whole passes").isLessThanOrEqualTo(1e-5 * scale);
            } else {
                assertThat(v).as(what + ", batch " + batch + ", " + parallel + " threads").isEqualTo(reference);
            }
        }
    }

    @Test
    void shapleySampling_sameBitsAtEveryBatchSize_closeToWholePasses() {
        Tensor x = input(5, 1);
        Target t = Target.of(0, 1, 2, 1, 0);
        for (boolean antithetic : new boolean[] {true, false}) {
            check("shapley elementwise", (m, b, inc) -> new ShapleyValueSampling(m,
                    ShapleyValueSampling.Options.defaults().withSamples(9).withSeed(3).withAntithetic(antithetic)
                            .withExact(ShapleyValueSampling.Exact.NEVER).withBatchSize(b).withIncremental(inc))
                    .attribute(x, t));
            check("shapley groups", (m, b, inc) -> new ShapleyValueSampling(m,
                    ShapleyValueSampling.Options.defaults().withSamples(6).withSeed(4).withAntithetic(antithetic)
                            .withFeatureMask(GROUPS).withExact(ShapleyValueSampling.Exact.NEVER).withBatchSize(b)
                            .withIncremental(inc)).attribute(x, t));
        }
        Baseline one = Baseline.of(input(5, 9));
        check("shapley, baseline per example", (m, b, inc) -> new ShapleyValueSampling(m,
                ShapleyValueSampling.Options.defaults().withSamples(5).withSeed(5).withBaseline(one)
                        .withExact(ShapleyValueSampling.Exact.NEVER).withBatchSize(b).withIncremental(inc)).attribute(x, t));
        Baseline dist = Baseline.distribution(input(3, 11));
        check("shapley, baseline distribution", (m, b, inc) -> new ShapleyValueSampling(m,
                ShapleyValueSampling.Options.defaults().withSamples(4).withSeed(6).withBaseline(dist)
                        .withExact(ShapleyValueSampling.Exact.NEVER).withBatchSize(b).withIncremental(inc)).attribute(x, t));
        check("shapley exact", (m, b, inc) -> new ShapleyExact(m, ShapleyExact.Options.defaults().withFeatureMask(GROUPS)
                .withBaseline(one).withBatchSize(b).withIncremental(inc)).attribute(x, t));
    }

    @Test
    void shapleySampling_inChunks_equalsOneChunk() {
        Tensor x = input(7, 21);
        Target t = Target.of(0, 1, 2, 1, 0, 2, 2);
        ShapleyValueSampling.Options o = ShapleyValueSampling.Options.defaults().withSamples(5).withSeed(2)
                .withFeatureMask(GROUPS).withBaseline(Baseline.distribution(input(2, 5)))
                .withExact(ShapleyValueSampling.Exact.NEVER).withBatchSize(4);
        float[] whole = new ShapleyValueSampling(new Mlp(), o).attribute(x, t).values().toFloatArray();
        long saved = ShapleyValueSampling.chunkJobs;
        try {
            for (long chunk : new long[] {1, 30, 60, 89}) {
                ShapleyValueSampling.chunkJobs = chunk;
                Mlp m = new Mlp();
                Attribution a = new ShapleyValueSampling(m, o).attribute(x, t);
                assertThat(m.layerCalls).isNotEmpty();
                assertThat(a.values().toFloatArray()).as("chunks of %d rows", chunk).isEqualTo(whole);
            }
        } finally {
            ShapleyValueSampling.chunkJobs = saved;
        }
    }

    /**
     * Feature ablation queues its examples in chunks of at most {@code chunkJobs} ablations (examples whole):
     * chunks of one example, of several examples and a ragged last chunk give the bits of one chunk, on
     * the dense path and on whole passes, with a mask (5 ablations an example) and elementwise (9).
     */
    @Test
    void ablation_inChunks_equalsOneChunk() {
        Tensor x = input(7, 31);
        Target t = Target.of(0, 1, 2, 1, 0, 2, 2);
        Baseline dist = Baseline.distribution(input(2, 7));
        for (boolean incremental : new boolean[] {true, false}) {
            for (FeatureMask mask : new FeatureMask[] {GROUPS, FeatureMask.elementwise()}) {
                FeatureAblation.Options o = FeatureAblation.Options.defaults().withFeatureMask(mask).withBaseline(dist)
                        .withBatchSize(4).withIncremental(incremental);
                Mlp one = new Mlp();
                float[] whole = new FeatureAblation(one, o).attribute(x, t).values().toFloatArray();
                long saved = FeatureAblation.chunkJobs;
                try {
                    // every chunk size below the 35 (63) ablations of the 7 examples cuts them into chunks
                    for (long chunk : new long[] {1, 9, 12, 20}) {
                        FeatureAblation.chunkJobs = chunk;
                        Mlp m = new Mlp();
                        Attribution a = new FeatureAblation(m, o).attribute(x, t);
                        assertThat(incremental ? m.layerCalls : m.wholeCalls).as("the path taken").isNotEmpty();
                        assertThat(a.values().toFloatArray()).as("incremental %s, chunks of %d", incremental, chunk)
                                .isEqualTo(whole);
                    }
                } finally {
                    FeatureAblation.chunkJobs = saved;
                }
            }
        }
    }

    @Test
    void ablation_sameBitsAtEveryBatchSize_closeToWholePasses() {
        Tensor x = input(6, 2);
        Target t = Target.of(2, 1, 0, 1, 2, 0);
        Baseline one = Baseline.of(input(6, 12));
        check("ablation", (m, b, inc) -> new FeatureAblation(m, FeatureAblation.Options.defaults().withBaseline(one)
                .withBatchSize(b).withIncremental(inc)).attribute(x, t));
        check("ablation groups, distribution", (m, b, inc) -> new FeatureAblation(m, FeatureAblation.Options.defaults()
                .withFeatureMask(GROUPS).withBaseline(Baseline.distribution(input(4, 13))).withBatchSize(b)
                .withIncremental(inc)).attribute(x, t));
    }

    /**
     * Whole passes of a model that runs several one-thread calls at once ({@code ParallelForward}): every
     * perturbation method gives the same bits at 1, 2 and 3 calls at once and every batch size, and the calls
     * ran on that many threads.
     */
    @Test
    void wholePasses_sameBitsWhateverTheCallsAtOnce() {
        Tensor x = input(6, 41);
        Target t = Target.of(0, 1, 2, 1, 0, 2);
        Baseline dist = Baseline.distribution(input(3, 17));
        java.util.Map<String, Method> methods = new java.util.LinkedHashMap<>();
        methods.put("shapley", (m, b, inc) -> new ShapleyValueSampling(m, ShapleyValueSampling.Options.defaults()
                .withSamples(4).withSeed(3).withBaseline(dist).withFeatureMask(GROUPS)
                .withExact(ShapleyValueSampling.Exact.NEVER).withBatchSize(b).withIncremental(inc)).attribute(x, t));
        methods.put("ablation", (m, b, inc) -> new FeatureAblation(m, FeatureAblation.Options.defaults().withBaseline(dist)
                .withBatchSize(b).withIncremental(inc)).attribute(x, t));
        methods.put("kernelshap", (m, b, inc) -> new KernelShap(m, KernelShap.Options.defaults().withSamples(40).withSeed(8)
                .withBatchSize(b)).attribute(x, t));
        methods.put("lime", (m, b, inc) -> new Lime(m, Lime.Options.defaults().withSamples(40).withSeed(8)
                .withBatchSize(b)).attribute(x, t));
        for (var e : methods.entrySet()) {
            float[] reference = null;
            for (int batch : new int[] {1, 3, 7, BatchSize.AUTO}) {
                for (int parallel = 1; parallel <= 3; parallel++) {
                    Mlp m = new Mlp(parallel);
                    float[] v = e.getValue().run(m, batch, false).values().toFloatArray();
                    assertThat(m.layerCalls).isEmpty();
                    if (parallel > 1) {
                        assertThat(m.wholeThreads.size()).as("%s: calls on %d threads at batch %d", e.getKey(),
                                parallel, batch).isEqualTo(batch == BatchSize.AUTO ? 1 : parallel);
                    }
                    if (reference == null) {
                        reference = v;
                    } else {
                        assertThat(v).as("%s, batch %d, %d at once", e.getKey(), batch, parallel).isEqualTo(reference);
                    }
                }
            }
        }
    }

    @Test
    void kernelShap_doesNotUseTheDenseLayer() {
        Mlp m = new Mlp();
        new KernelShap(m, KernelShap.Options.defaults().withSamples(40).withSeed(8)).attribute(input(3, 4),
                Target.of(0, 1, 2));
        assertThat(m.layerCalls).isEmpty();
    }
}
