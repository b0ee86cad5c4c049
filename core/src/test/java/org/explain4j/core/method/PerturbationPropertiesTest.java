package org.explain4j.core.method;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.BiFunction;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import org.explain4j.core.Attribution;
import org.explain4j.core.Baseline;
import org.explain4j.core.DType;
import org.explain4j.core.FeatureMask;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.model.FunctionModel;
import org.explain4j.core.model.Model;
import org.explain4j.core.model.ModelSignature;

/**
 * Axioms every perturbation method must satisfy, on random models and inputs: on a linear
 * model the attributions are {@code w * (x - baseline)}; a feature the model ignores gets 0;
 * symmetric features get equal values; Shapley-family values sum to {@code f(x) - f(baseline)};
 * per-example targets equal one-by-one runs; a seed fixes the result whatever the batch size.
 */
class PerturbationPropertiesTest {
    private static final int D = 6;
    private static final int C = 3;

    /** Every method that must reproduce {@code w * (x - b)} on a linear model. */
    private static List<BiFunction<Model, Baseline, AttributionMethod>> linearExact() {
        List<BiFunction<Model, Baseline, AttributionMethod>> l = new ArrayList<>();
        l.add((m, b) -> new FeatureAblation(m, FeatureAblation.Options.defaults().withBaseline(b).withBatchSize(5)));
        l.add((m, b) -> new Occlusion(m, Occlusion.Options.window(1).withBaseline(b).withBatchSize(5)));
        l.add((m, b) -> new ShapleyValueSampling(m, ShapleyValueSampling.Options.defaults().withBaseline(b)
                .withExact(ShapleyValueSampling.Exact.ALWAYS)));
        l.add((m, b) -> new ShapleyValueSampling(m, ShapleyValueSampling.Options.defaults().withBaseline(b)
                .withExact(ShapleyValueSampling.Exact.NEVER).withSamples(3).withSeed(5)));
        l.add((m, b) -> new KernelShap(m, KernelShap.Options.defaults().withBaseline(b)));
        l.add((m, b) -> new KernelShap(m, KernelShap.Options.defaults().withBaseline(b).withSamples(20).withSeed(3)));
        l.add((m, b) -> new Lime(m, Lime.Options.defaults().withBaseline(b).withAlpha(0).withSamples(200).withSeed(1)));
        l.add((m, b) -> new Lime(m, Lime.Options.defaults().withSurrogate(Lime.Surrogate.LASSO).withAlpha(0)
                .withBaseline(b).withSamples(200).withSeed(1)));
        return l;
    }

    @Provide
    Arbitrary<Long> seeds() {
        return Arbitraries.longs();
    }

    @Property(tries = 15)
    void linearModel_everyMethodGivesWeightTimesDifference(@ForAll("seeds") long seed) {
        Random r = new Random(seed);
        double[][] w = randomMatrix(r, C, D);
        double[] bias = randomVector(r, C);
        FunctionModel model = FunctionModel.linear(w, bias, D);
        Tensor x = Tensor.ofDoubles(randomVector(r, 2 * D), 2, D);
        double[] b = randomVector(r, D);
        Baseline baseline = Baseline.of(Tensor.ofDoubles(b, 1, D));
        int[] targets = {r.nextInt(C), r.nextInt(C)};
        for (var make : linearExact()) {
            AttributionMethod m = make.apply(model, baseline);
            Attribution a = m.attribute(x, Target.of(targets));
            for (int n = 0; n < 2; n++) {
                for (int j = 0; j < D; j++) {
                    double expected = w[targets[n]][j] * (x.getDouble(n * D + j) - b[j]);
                    assertThat(a.values().getDouble(n * D + j))
                            .as("%s, example %d, feature %d", m.name(), n, j)
                            .isCloseTo(expected, within(2e-5 * (1 + Math.abs(expected))));
                }
            }
        }
    }

    @Property(tries = 10)
    void ignoredFeature_getsZero(@ForAll("seeds") long seed) {
        Random r = new Random(seed);
        // f(x) = tanh(x0 * x1) + x2^2 + sin(x3), feature 4 and 5 ignored.
        Model model = FunctionModel.perExample("nonlinear", ModelSignature.of(DType.FLOAT64, new int[] {D}, 1),
                v -> new double[] {Math.tanh(v[0] * v[1]) + v[2] * v[2] + Math.sin(v[3])});
        Tensor x = Tensor.ofDoubles(randomVector(r, 2 * D), 2, D);
        for (AttributionMethod m : allMethods(model, Baseline.constant(0.3), FeatureMask.elementwise())) {
            Attribution a = m.attribute(x, Target.of(0));
            for (int n = 0; n < 2; n++) {
                assertThat(a.values().getDouble(n * D + 4)).as(m.name()).isCloseTo(0.0, within(1e-9));
                assertThat(a.values().getDouble(n * D + 5)).as(m.name()).isCloseTo(0.0, within(1e-9));
                assertThat(a.values().getDouble(n * D + 2)).as(m.name() + " uses feature 2").isNotCloseTo(0.0, within(1e-12));
            }
        }
    }

    @Property(tries = 10)
    void symmetricFeatures_getEqualValues(@ForAll("seeds") long seed) {
        Random r = new Random(seed);
        // f is symmetric in x0 and x1, and x0 == x1 in the input and the baseline.
        Model model = FunctionModel.perExample("symmetric", ModelSignature.of(DType.FLOAT64, new int[] {4}, 1),
                v -> new double[] {Math.tanh(v[0] + v[1]) * v[2] + v[0] * v[1] * v[3]});
        double s = r.nextGaussian();
        Tensor x = Tensor.ofDoubles(new double[] {s, s, r.nextGaussian(), r.nextGaussian()}, 1, 4);
        List<AttributionMethod> methods = List.of(
                new FeatureAblation(model, FeatureAblation.Options.defaults()),
                new ShapleyValueSampling(model, ShapleyValueSampling.Options.defaults()
                        .withExact(ShapleyValueSampling.Exact.ALWAYS)),
                new KernelShap(model, KernelShap.Options.defaults()));
        for (AttributionMethod m : methods) {
            Attribution a = m.attribute(x, Target.of(0));
            assertThat(a.values().getDouble(0)).as(m.name()).isCloseTo(a.values().getDouble(1), within(1e-9));
        }
    }

    @Property(tries = 10)
    void shapleyFamily_sumsToOutputDifference(@ForAll("seeds") long seed) {
        Random r = new Random(seed);
        Model model = nonlinear(r);
        Tensor x = Tensor.ofDoubles(randomVector(r, 2 * D), 2, D);
        Baseline b = Baseline.of(Tensor.ofDoubles(randomVector(r, D), 1, D));
        Tensor fx = model.forward(x);
        Tensor fb = model.forward(((Baseline.Fixed) b).tensor());
        List<AttributionMethod> methods = List.of(
                new ShapleyValueSampling(model, ShapleyValueSampling.Options.defaults().withBaseline(b)
                        .withExact(ShapleyValueSampling.Exact.NEVER).withSamples(7).withSeed(seed)),
                new ShapleyValueSampling(model, ShapleyValueSampling.Options.defaults().withBaseline(b)
                        .withExact(ShapleyValueSampling.Exact.ALWAYS)),
                new KernelShap(model, KernelShap.Options.defaults().withBaseline(b)),
                new KernelShap(model, KernelShap.Options.defaults().withBaseline(b).withSamples(10).withSeed(seed)));
        for (AttributionMethod m : methods) {
            Attribution a = m.attribute(x, Target.of(1));
            for (int n = 0; n < 2; n++) {
                double sum = 0;
                for (int j = 0; j < D; j++) {
                    sum += a.values().getDouble(n * D + j);
                }
                double diff = fx.getDouble(n * C + 1) - fb.getDouble(1);
                assertThat(sum).as(m.name()).isCloseTo(diff, within(1e-5 * (1 + Math.abs(diff))));
                assertThat(a.diagnostics().completenessGap().orElseThrow()[n]).isCloseTo(0.0, within(1e-5));
            }
        }
    }

    @Property(tries = 5)
    void perExampleTargets_equalOneByOneRuns(@ForAll("seeds") long seed) {
        Random r = new Random(seed);
        Model model = nonlinear(r);
        int n = 3;
        Tensor x = Tensor.ofDoubles(randomVector(r, n * D), n, D);
        int[] targets = {0, 2, 1};
        FeatureMask mask = FeatureMask.of(Tensor.ofLongs(new long[] {0, 0, 1, 2, 2, 3}, 1, D));
        for (AttributionMethod m : allMethods(model, Baseline.constant(0.1), mask)) {
            if (m instanceof FeaturePermutation) {
                continue; // depends on the batch by definition
            }
            Tensor batch = m.attribute(x, Target.of(targets)).values();
            for (int i = 0; i < n; i++) {
                Tensor one = m.attribute(x.example(i), Target.of(targets[i])).values();
                assertThat(batch.example(i)).as(m.name()).isEqualTo(one);
            }
        }
    }

    @Property(tries = 5)
    void sameSeed_givesBitIdenticalOutputWhateverTheBatchSize(@ForAll("seeds") long seed) {
        Random r = new Random(seed);
        Model model = nonlinear(r);
        Tensor x = Tensor.ofDoubles(randomVector(r, 3 * D), 3, D);
        Target t = Target.of(1);
        for (Tuple.Tuple2<? extends AttributionMethod, ? extends AttributionMethod> pair : List.<Tuple.Tuple2<? extends AttributionMethod, ? extends AttributionMethod>>of(
                Tuple.of(new ShapleyValueSampling(model, ShapleyValueSampling.Options.defaults().withExact(ShapleyValueSampling.Exact.NEVER).withSeed(seed).withBatchSize(1)),
                        new ShapleyValueSampling(model, ShapleyValueSampling.Options.defaults().withExact(ShapleyValueSampling.Exact.NEVER).withSeed(seed).withBatchSize(1000))),
                Tuple.of(new KernelShap(model, KernelShap.Options.defaults().withSamples(30).withSeed(seed).withBatchSize(3)),
                        new KernelShap(model, KernelShap.Options.defaults().withSamples(30).withSeed(seed).withBatchSize(64))),
                Tuple.of(new Lime(model, Lime.Options.defaults().withSamples(50).withSeed(seed).withBatchSize(7)),
                        new Lime(model, Lime.Options.defaults().withSamples(50).withSeed(seed).withBatchSize(500))),
                Tuple.of(new FeaturePermutation(model, FeaturePermutation.Options.defaults().withSeed(seed).withBatchSize(2)),
                        new FeaturePermutation(model, FeaturePermutation.Options.defaults().withSeed(seed).withBatchSize(99))))) {
            assertThat(pair.get1().attribute(x, t).values()).as(pair.get1().name()).isEqualTo(pair.get2().attribute(x, t).values());
        }
    }

    private static List<AttributionMethod> allMethods(Model model, Baseline b, FeatureMask mask) {
        return List.of(
                new FeatureAblation(model, FeatureAblation.Options.defaults().withBaseline(b).withFeatureMask(mask)),
                new Occlusion(model, Occlusion.Options.window(1).withBaseline(b)),
                new ShapleyValueSampling(model, ShapleyValueSampling.Options.defaults().withBaseline(b).withFeatureMask(mask)
                        .withExact(ShapleyValueSampling.Exact.NEVER).withSamples(4).withSeed(11)),
                new ShapleyValueSampling(model, ShapleyValueSampling.Options.defaults().withBaseline(b).withFeatureMask(mask)
                        .withExact(ShapleyValueSampling.Exact.ALWAYS)),
                new KernelShap(model, KernelShap.Options.defaults().withBaseline(b).withFeatureMask(mask)),
                new FeaturePermutation(model, FeaturePermutation.Options.defaults().withFeatureMask(mask).withSeed(3)));
    }

    static Model nonlinear(Random r) {
        double[][] w = randomMatrix(r, C, D);
        return FunctionModel.perExample("mlp", ModelSignature.of(DType.FLOAT64, new int[] {D}, C), v -> {
            double[] y = new double[C];
            for (int c = 0; c < C; c++) {
                double s = 0;
                for (int j = 0; j < D; j++) {
                    s += w[c][j] * v[j];
                }
                y[c] = Math.tanh(s) + 0.1 * s * s;
            }
            return y;
        });
    }

    static double[][] randomMatrix(Random r, int rows, int cols) {
        double[][] m = new double[rows][];
        for (int i = 0; i < rows; i++) {
            m[i] = randomVector(r, cols);
        }
        return m;
    }

    static double[] randomVector(Random r, int n) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = r.nextGaussian();
        }
        return v;
    }
}
