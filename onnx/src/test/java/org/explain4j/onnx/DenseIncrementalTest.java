package org.explain4j.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import org.explain4j.core.Attribution;
import org.explain4j.core.Baseline;
import org.explain4j.core.FeatureMask;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.io.Npy;
import org.explain4j.core.method.FeatureAblation;
import org.explain4j.core.method.ShapleyExact;
import org.explain4j.core.method.ShapleyValueSampling;
import org.explain4j.core.model.DenseInput;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The incremental dense first layer (a row's pre-activation updated by its changed features, the
 * rest of the model run from it) equals whole forward passes within float32 rounding on every
 * tabular / MLP fixture, for feature ablation, Shapley sampling (elementwise and grouped,
 * antithetic or not, a baseline per example and a baseline distribution) and exact Shapley values;
 * models it does not apply to fall back to whole passes. The tests of the path itself take it on
 * every model that offers the layer ({@code explain4j.incremental.dense=always}: most fixtures are
 * too small for it to pay); {@link #choice_weighsTheLayerAgainstTheWholeModel} tests the choice.
 */
class DenseIncrementalTest {
    private static final String RULE = "explain4j.incremental.dense";

    @BeforeAll
    static void alwaysTakeTheDensePath() {
        System.setProperty(RULE, "always");
    }

    @AfterAll
    static void clearRule() {
        System.clearProperty(RULE);
    }

    /**
     * Without the override, the path is taken where it saves at least a quarter of the model's
     * multiply-adds: tabular50 (50 -> 64 -> 32 -> 3) for elementwise ablation and Shapley sampling,
     * not the golden tabular MLP (10 -> 32 -> 16 -> 3) with its mask of 4 groups, which then gives
     * the bits of whole passes; nor exact Shapley values on tabular50 (half the elements change).
     */
    @Test
    void choice_weighsTheLayerAgainstTheWholeModel() {
        System.clearProperty(RULE);
        try {
            Tensor gx = load("../shared/golden/tabular_x.npy");
            FeatureMask gmask = FeatureMask.of(load("../shared/golden/tabular_mask.npy"));
            try (OnnxModel m = OnnxModel.load(Path.of("..", "../shared/golden/tabular_mlp.onnx"))) {
                assertThat(m.denseInput().restMultiplyAdds()).isEqualTo(32L * 16 + 16 * 3);
                Target t = targets(gx.batchSize(), 3);
                for (boolean shapley : new boolean[] {false, true}) {
                    BiFunction<OnnxModel, Boolean, Attribution> method = (mm, inc) -> shapley
                            ? new ShapleyValueSampling(mm, ShapleyValueSampling.Options.defaults().withFeatureMask(gmask)
                                    .withSamples(5).withSeed(2).withExact(ShapleyValueSampling.Exact.NEVER)
                                    .withIncremental(inc)).attribute(gx, t)
                            : new FeatureAblation(mm, FeatureAblation.Options.defaults().withFeatureMask(gmask)
                                    .withIncremental(inc)).attribute(gx, t);
                    float[] whole = method.apply(m, false).values().toFloatArray();
                    float[] inc = method.apply(m, true).values().toFloatArray();
                    assertThat(m.denseLayer().rows.get()).as("golden, shapley " + shapley + ": whole passes").isZero();
                    assertThat(inc).isEqualTo(whole);
                }
                assertThat(m.denseLayer().sessionMade()).as("golden: the layer was described, its session never made")
                        .isFalse();
            }
            Tensor x = load("fixtures/models/tabular50_x.npy");
            try (OnnxModel m = OnnxModel.load(Path.of("..", "fixtures/models/tabular50_mlp.onnx"))) {
                assertThat(m.denseInput().restMultiplyAdds()).isEqualTo(64L * 32 + 32 * 3);
                assertThat(m.denseLayer().sessionMade()).isFalse();
                Target t = targets(x.batchSize(), 3);
                new FeatureAblation(m, FeatureAblation.Options.defaults().withIncremental(true)).attribute(x, t);
                assertThat(m.denseLayer().rows.getAndSet(0)).as("tabular50 ablation").isEqualTo(50L * x.batchSize());
                new ShapleyValueSampling(m, ShapleyValueSampling.Options.defaults().withSamples(2).withSeed(1)
                        .withExact(ShapleyValueSampling.Exact.NEVER).withIncremental(true)).attribute(x, t);
                assertThat(m.denseLayer().rows.getAndSet(0)).as("tabular50 shapley").isPositive();
                long[] pairs = new long[50];
                for (int e = 0; e < 50; e++) {
                    pairs[e] = e / 10;
                }
                new ShapleyExact(m, ShapleyExact.Options.defaults().withFeatureMask(FeatureMask.of(Tensor.ofLongs(pairs, 1, 50)))
                        .withIncremental(true)).attribute(x.slice(0, 2), targets(2, 3));
                assertThat(m.denseLayer().rows.get()).as("tabular50 exact: half the elements change").isZero();
            }
        } finally {
            System.setProperty(RULE, "always");
        }
    }

    private static Tensor load(String p) {
        Path path = Path.of("..", p);
        assertThat(Files.exists(path)).as("fixture " + path + " (fixtures/make_dense.py, ../shared/golden)").isTrue();
        return Npy.read(path);
    }

    /** Every element of {@code got} within 1e-5 of {@code want}, relative to the largest value (float32 rounding). */
    private static void assertClose(Attribution want, Attribution got, String what) {
        double[] a = want.values().toDoubleArray();
        double[] b = got.values().toDoubleArray();
        assertThat(b.length).isEqualTo(a.length);
        double scale = 0;
        double diff = 0;
        for (int i = 0; i < a.length; i++) {
            scale = Math.max(scale, Math.abs(a[i]));
            diff = Math.max(diff, Math.abs(a[i] - b[i]));
        }
        assertThat(scale).as(what + ": attributions not all zero").isGreaterThan(0);
        assertThat(diff).as(what + ": max |incremental - whole| against max |value| " + scale)
                .isLessThanOrEqualTo(1e-5 * Math.max(scale, 1e-3));
        assertThat(b).as(what + ": not bit-identical to whole passes (the dense path ran)").isNotEqualTo(a);
    }

    /** Input rows whose values are not all representable exactly, a baseline that differs from them. */
    private static Tensor shifted(Tensor x, double by) {
        double[] v = x.toDoubleArray();
        for (int i = 0; i < v.length; i++) {
            v[i] = 0.5 * v[i] + by * Math.sin(i + 1.0);
        }
        return Tensor.ofDoubles(v, x.shape());
    }

    private static Target targets(int n, int classes) {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) {
            t[i] = (i * 2 + 1) % classes;
        }
        return Target.of(t);
    }

    /** Runs {@code method} with incremental inference on and off and compares; asserts the dense path ran only when on. */
    private static void compare(OnnxModel m, String what, BiFunction<OnnxModel, Boolean, Attribution> method) {
        Attribution whole = method.apply(m, false);
        DenseLayer layer = m.denseLayer();
        long before = layer == null ? 0 : layer.rows.get();
        assertThat(before).as(what + ": whole passes never use the dense layer").isZero();
        Attribution inc = method.apply(m, true);
        assertThat(m.denseLayer()).as(what + ": dense first layer found").isNotNull();
        assertThat(m.denseLayer().rows.get()).as(what + ": rows through the dense layer").isPositive();
        assertThat(inc.diagnostics().modelEvaluations()).as(what + ": evaluations counted alike")
                .isEqualTo(whole.diagnostics().modelEvaluations());
        m.denseLayer().rows.set(0);
        assertClose(whole, inc, what);
    }

    @ParameterizedTest
    @CsvSource({"../shared/golden/tabular_mlp.onnx, ../shared/golden/tabular_x.npy, ../shared/golden/tabular_mask.npy",
            "fixtures/models/tabular50_mlp.onnx, fixtures/models/tabular50_x.npy, ",
            "fixtures/models/mlp_opset11.onnx, fixtures/models/mlp_opset11_x.npy, ",
            "fixtures/models/mlp_opset17.onnx, fixtures/models/mlp_opset17_x.npy, ",
            "fixtures/models/mlp_softmax.onnx, fixtures/models/mlp_softmax_x.npy, ",
            "fixtures/models/elu_selu_mlp.onnx, fixtures/models/elu_selu_mlp_x.npy, ",
            "fixtures/models/linear.onnx, fixtures/models/linear_x.npy, ",
            "fixtures/models/dense_matmul.onnx, fixtures/models/dense_x.npy, ",
            "fixtures/models/dense_flatten.onnx, fixtures/models/dense_flatten_x.npy, "})
    void incrementalEqualsWholePasses(String model, String xPath, String maskPath) {
        Tensor x = load(xPath);
        if (x.batchSize() > 6) {
            x = x.slice(0, 6);
        }
        Tensor xx = x;
        int n = x.batchSize();
        int d = x.exampleSize();
        // groups: the golden mask where given, else features in pairs (the last one alone when d is odd)
        FeatureMask groups;
        if (maskPath != null) {
            groups = FeatureMask.of(load(maskPath));
        } else {
            long[] ids = new long[d];
            for (int e = 0; e < d; e++) {
                ids[e] = e / 2;
            }
            int[] shape = new int[x.rank()];
            shape[0] = 1;
            System.arraycopy(x.shape(), 1, shape, 1, x.rank() - 1);
            groups = FeatureMask.of(Tensor.ofLongs(ids, shape));
        }
        Baseline perExample = Baseline.of(shifted(x, 0.7));
        Baseline dist = Baseline.distribution(shifted(x, -0.4).slice(0, Math.min(3, n)));
        try (OnnxModel m = OnnxModel.load(Path.of("..", model))) {
            Target t = targets(n, m.signature().outputSize());
            assertThat(m.denseInput()).as(model + " has a dense first layer").isNotNull();
            assertThat(m.denseInput().inputs()).isEqualTo(d);
            compare(m, model + " ablation", (mm, inc) -> new FeatureAblation(mm, FeatureAblation.Options.defaults()
                    .withIncremental(inc)).attribute(xx, t));
            compare(m, model + " ablation, groups, baseline per example", (mm, inc) -> new FeatureAblation(mm,
                    FeatureAblation.Options.defaults().withFeatureMask(groups).withBaseline(perExample)
                            .withIncremental(inc)).attribute(xx, t));
            compare(m, model + " ablation, distribution", (mm, inc) -> new FeatureAblation(mm,
                    FeatureAblation.Options.defaults().withBaseline(dist).withBatchSize(5).withIncremental(inc))
                    .attribute(xx, t));
            for (boolean antithetic : new boolean[] {true, false}) {
                compare(m, model + " shapley, antithetic " + antithetic, (mm, inc) -> new ShapleyValueSampling(mm,
                        ShapleyValueSampling.Options.defaults().withSamples(6).withSeed(3).withAntithetic(antithetic)
                                .withExact(ShapleyValueSampling.Exact.NEVER).withIncremental(inc)).attribute(xx, t));
                compare(m, model + " shapley groups, antithetic " + antithetic, (mm, inc) -> new ShapleyValueSampling(mm,
                        ShapleyValueSampling.Options.defaults().withSamples(5).withSeed(4).withAntithetic(antithetic)
                                .withFeatureMask(groups).withExact(ShapleyValueSampling.Exact.NEVER)
                                .withIncremental(inc)).attribute(xx, t));
            }
            compare(m, model + " shapley, baseline per example, batch 7", (mm, inc) -> new ShapleyValueSampling(mm,
                    ShapleyValueSampling.Options.defaults().withSamples(4).withSeed(5).withBaseline(perExample)
                            .withExact(ShapleyValueSampling.Exact.NEVER).withBatchSize(7).withIncremental(inc))
                    .attribute(xx, t));
            compare(m, model + " shapley, distribution", (mm, inc) -> new ShapleyValueSampling(mm,
                    ShapleyValueSampling.Options.defaults().withSamples(3).withSeed(6).withBaseline(dist)
                            .withFeatureMask(groups).withExact(ShapleyValueSampling.Exact.NEVER).withIncremental(inc))
                    .attribute(xx, t));
            if (x.rank() == 4) {
                // occlusion on an input flattened into the dense layer: each window through the dense layer
                compare(m, model + " occlusion", (mm, inc) -> new org.explain4j.core.method.Occlusion(mm,
                        org.explain4j.core.method.Occlusion.Options.window(1, 2, 2).withBaseline(perExample)
                                .withIncremental(inc)).attribute(xx, t));
            }
            if (maskPath != null) {
                compare(m, model + " shapley exact", (mm, inc) -> new ShapleyExact(mm, ShapleyExact.Options.defaults()
                        .withFeatureMask(groups).withBaseline(perExample).withIncremental(inc)).attribute(xx, t));
            }
        }
    }

    /** Seeded Shapley sampling through the dense layer gives the same bits at every batch size. */
    @Test
    void shapleyThroughDenseLayer_sameBitsAtEveryBatchSize() {
        Tensor x = load("fixtures/models/tabular50_x.npy").slice(0, 4);
        Target t = targets(4, 3);
        Baseline dist = Baseline.distribution(shifted(x, 0.3).slice(0, 2));
        try (OnnxModel m = OnnxModel.load(Path.of("..", "fixtures/models/tabular50_mlp.onnx"))) {
            float[] reference = null;
            for (int batch : new int[] {1, 3, 50, 51, 52, 1000}) {
                Attribution a = new ShapleyValueSampling(m, ShapleyValueSampling.Options.defaults().withSamples(4)
                        .withSeed(8).withBaseline(dist).withExact(ShapleyValueSampling.Exact.NEVER).withBatchSize(batch))
                        .attribute(x, t);
                float[] v = a.values().toFloatArray();
                if (reference == null) {
                    reference = v;
                } else {
                    assertThat(v).as("batch " + batch).isEqualTo(reference);
                }
            }
            assertThat(m.denseLayer().rows.get()).isEqualTo(6L * 4 * 4 * 51 * 2);
        }
    }

    /**
     * The dense path runs as many calls at once as the model has threads ({@code --threads}; each call on one
     * thread of the cut model's session), and gives the same bits whatever that number: Shapley sampling with
     * a baseline distribution (chains that cross batch boundaries, filled by different threads) and
     * elementwise ablation, at batch sizes that cut the rows into many batches.
     */
    @Test
    void denseLayer_sameBitsWhateverTheThreadCount() {
        Tensor x = load("fixtures/models/tabular50_x.npy").slice(0, 5);
        Target t = targets(5, 3);
        Baseline dist = Baseline.distribution(shifted(x, 0.3).slice(0, 2));
        float[][] reference = new float[4][];
        for (int threads : new int[] {1, 2, 3}) {
            try (OnnxModel m = OnnxModel.load(Path.of("..", "fixtures/models/tabular50_mlp.onnx"),
                    OnnxModel.Options.defaults().withThreads(threads))) {
                assertThat(m.denseInput().parallelCalls()).isEqualTo(threads);
                int k = 0;
                for (int batch : new int[] {3, 51}) {
                    float[] svs = new ShapleyValueSampling(m, ShapleyValueSampling.Options.defaults().withSamples(3)
                            .withSeed(8).withBaseline(dist).withExact(ShapleyValueSampling.Exact.NEVER)
                            .withBatchSize(batch)).attribute(x, t).values().toFloatArray();
                    float[] fa = new FeatureAblation(m, FeatureAblation.Options.defaults().withBaseline(dist)
                            .withBatchSize(batch)).attribute(x, t).values().toFloatArray();
                    for (float[] v : new float[][] {svs, fa}) {
                        if (reference[k] == null) {
                            reference[k] = v;
                        } else {
                            assertThat(v).as("%d threads, batch %d, case %d", threads, batch, k).isEqualTo(reference[k]);
                        }
                        k++;
                    }
                }
                assertThat(m.denseLayer().rows.get()).as("through the layer").isPositive();
            }
        }
    }

    /** Models without a dense first layer over a single float32 input run whole passes: same bits either way. */
    @ParameterizedTest
    @CsvSource({"fixtures/models/dense_skip.onnx, fixtures/models/dense_x.npy",
            "fixtures/models/layernorm_fused.onnx, fixtures/models/layernorm_fused_x.npy",
            "fixtures/models/layernorm_written.onnx, fixtures/models/layernorm_written_x.npy",
            "examples/digits/digits_cnn.onnx, examples/digits/digits_x.npy"})
    void otherModelsFallBackToWholePasses(String model, String xPath) {
        Tensor x = load(xPath);
        if (x.batchSize() > 3) {
            x = x.slice(0, 3);
        }
        Tensor xx = x;
        try (OnnxModel m = OnnxModel.load(Path.of("..", model))) {
            assertThat(m.denseInput()).as(model + ": no dense first layer used").isNull();
            Target t = targets(x.batchSize(), m.signature().outputSize());
            List<float[]> got = new ArrayList<>();
            for (boolean inc : new boolean[] {true, false}) {
                got.add(new ShapleyValueSampling(m, ShapleyValueSampling.Options.defaults().withSamples(2)
                        .withExact(ShapleyValueSampling.Exact.NEVER).withIncremental(inc)).attribute(xx, t)
                        .values().toFloatArray());
            }
            assertThat(got.get(0)).isEqualTo(got.get(1));
        }
    }

    /** The catalogue's {@code incremental} parameter reaches feature ablation, Shapley sampling and exact Shapley values. */
    @Test
    void catalogueParameter_turnsTheDenseLayerOnAndOff() {
        Tensor x = load("fixtures/models/mlp_softmax_x.npy");
        Target t = targets(x.batchSize(), 4);
        try (OnnxModel m = OnnxModel.load(Path.of("..", "fixtures/models/mlp_softmax.onnx"))) {
            for (String method : new String[] {"feature-ablation", "shapley-value-sampling", "shapley-exact"}) {
                for (boolean inc : new boolean[] {false, true}) {
                    org.explain4j.core.catalog.MethodSpec spec = org.explain4j.core.catalog.MethodCatalog.get(method);
                    java.util.Map<String, Object> params = new java.util.HashMap<>(java.util.Map.of("incremental", inc));
                    if (!method.equals("feature-ablation")) {
                        params.put("feature-mask", FeatureMask.of(Tensor.ofLongs(new long[] {0, 0, 1, 1, 2, 2, 3, 3, 4, 4},
                                1, 10)));
                    }
                    spec.create(m, spec.bind(params), org.explain4j.core.engine.ProgressListener.NONE).attribute(x, t);
                    long rows = m.denseLayer() == null ? 0 : m.denseLayer().rows.getAndSet(0);
                    assertThat(rows > 0).as(method + " incremental=" + inc).isEqualTo(inc);
                }
            }
        }
    }

    /** Several inputs (one fed): no dense layer, whatever the explained input's first op. */
    @Test
    void severalInputs_noDenseLayer() {
        try (OnnxModel m = OnnxModel.load(Path.of("..", "fixtures/models/gated_mlp.onnx"))) {
            assertThat(m.signature().inputs()).hasSize(2);
            assertThat(m.denseInput()).isNull();
        }
    }

    /** The dense layer's weights and bias are the model's: h(x) from them equals the model's first Gemm. */
    @Test
    void weightsAndBias_reproduceTheFirstLayer() {
        try (OnnxModel m = OnnxModel.load(Path.of("..", "fixtures/models/mlp_softmax.onnx"))) {
            DenseInput.Layer l = m.denseInput();
            Tensor x = load("fixtures/models/mlp_softmax_x.npy");
            int w = l.width();
            double[] h = new double[x.batchSize() * w];
            for (int i = 0; i < x.batchSize(); i++) {
                for (int j = 0; j < w; j++) {
                    double s = l.bias()[j];
                    for (int e = 0; e < l.inputs(); e++) {
                        s += (float) x.getDouble(i * l.inputs() + e) * l.weights()[e][j];
                    }
                    h[i * w + j] = s;
                }
            }
            double[] want = m.forward(x).toDoubleArray();
            double[] got = l.forwardFromLayer(h, x.batchSize()).toDoubleArray();
            assertThat(got.length).isEqualTo(want.length);
            for (int i = 0; i < want.length; i++) {
                assertThat(got[i]).isCloseTo(want[i], org.assertj.core.data.Offset.offset(1e-6));
            }
        }
    }
}
