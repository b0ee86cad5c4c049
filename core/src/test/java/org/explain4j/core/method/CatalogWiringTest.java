package org.explain4j.core.method;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.explain4j.core.Baseline;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.FeatureMask;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.catalog.MethodCatalog;
import org.explain4j.core.catalog.MethodSpec;
import org.explain4j.core.catalog.ParamSpec;
import org.explain4j.core.engine.ProgressListener;
import org.explain4j.core.model.FunctionModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The catalogue's factories pass every parameter to the right option: each method made from the
 * catalogue with non-default values gives exactly what the method's class gives when built by hand
 * with those values, and differs from the defaults' result (so a dropped parameter is caught).
 */
class CatalogWiringTest {
    private static final TanhMlp MLP = new TanhMlp(new Random(3), 4, 6, 3);
    private static final Tensor X = Tensor.ofDoubles(PerturbationPropertiesTest.randomVector(new Random(4), 12), 3, 4);
    private static final Baseline B = Baseline.constant(0.3);
    private static final FeatureMask MASK = FeatureMask.of(Tensor.ofLongs(new long[] {0, 0, 1, 2}, 1, 4));

    static Stream<Arguments> cases() {
        return Stream.of(
                c("saliency", Map.of("abs", false), () -> new Saliency(MLP, Saliency.Options.defaults().withAbs(false))),
                c("integrated-gradients", Map.of("steps", 7, "integration", "riemann_left", "baseline", B),
                        () -> new IntegratedGradients(MLP, IntegratedGradients.Options.defaults().withSteps(7)
                                .withIntegration(Quadrature.RIEMANN_LEFT).withBaseline(B))),
                c("smoothgrad", Map.of("inner", "integrated-gradients", "samples", 3, "noise-std", 0.4, "seed", 9L,
                        "steps", 5, "noise-type", "vargrad"),
                        () -> new NoiseTunnel(new IntegratedGradients(MLP, IntegratedGradients.Options.defaults().withSteps(5)),
                                NoiseTunnel.Options.defaults().withType(NoiseTunnel.NoiseType.VARGRAD).withSamples(3)
                                        .withNoiseStdDev(0.4).withSeed(9))),
                c("gradient-shap", Map.of("samples", 4, "noise-std", 0.2, "seed", 5L, "baseline", B),
                        () -> new GradientShap(MLP, GradientShap.Options.defaults().withSamples(4).withNoiseStdDev(0.2)
                                .withSeed(5).withBaseline(B))),
                c("layer-conductance", Map.of("layer", TanhMlp.HIDDEN, "steps", 6, "baseline", B),
                        () -> new LayerConductance(MLP, LayerOptions.of(TanhMlp.HIDDEN).withSteps(6).withBaseline(B))),
                c("grad-cam", Map.of("layer", TanhMlp.HIDDEN, "relu", true),
                        () -> new GradCam(MLP, LayerOptions.of(TanhMlp.HIDDEN).withRelu(true))),
                c("deeplift", Map.of("baseline", B), () -> new DeepLift(MLP, DeepLift.Options.defaults().withBaseline(B))),
                c("occlusion", Map.of("window", new int[] {2}, "stride", new int[] {2}, "baseline", B),
                        () -> new Occlusion(MLP, Occlusion.Options.window(2).withStride(2).withBaseline(B))),
                c("feature-ablation", Map.of("feature-mask", MASK, "baseline", B),
                        () -> new FeatureAblation(MLP, FeatureAblation.Options.defaults().withFeatureMask(MASK).withBaseline(B))),
                c("shapley-value-sampling", Map.of("samples", 3, "seed", 11L, "exact", "never"),
                        () -> new ShapleyValueSampling(MLP, ShapleyValueSampling.Options.defaults().withSamples(3).withSeed(11)
                                .withExact(ShapleyValueSampling.Exact.NEVER))),
                c("shapley-exact", Map.of("feature-mask", MASK, "baseline", B),
                        () -> new ShapleyExact(MLP, ShapleyExact.Options.defaults().withFeatureMask(MASK).withBaseline(B))),
                c("kernel-shap", Map.of("samples", 5, "seed", 3L, "feature-mask", MASK),
                        () -> new KernelShap(MLP, KernelShap.Options.defaults().withSamples(5).withSeed(3).withFeatureMask(MASK))),
                c("lime", Map.of("samples", 40, "seed", 3L, "kernel-width", 0.7, "surrogate", "lasso", "alpha", 0.05),
                        () -> new Lime(MLP, Lime.Options.defaults().withSamples(40).withSeed(3).withKernelWidth(0.7)
                                .withSurrogate(Lime.Surrogate.LASSO).withAlpha(0.05))),
                c("feature-permutation", Map.of("samples", 3, "seed", 21L),
                        () -> new FeaturePermutation(MLP, FeaturePermutation.Options.defaults().withRepeats(3).withSeed(21))));
    }

    private static Arguments c(String name, Map<String, Object> params, Supplier<AttributionMethod> direct) {
        return Arguments.of(name, params, direct);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void catalogueMethodWithParameters_equalsTheClassBuiltByHand(String name, Map<String, Object> params,
                                                                 Supplier<AttributionMethod> direct) {
        MethodSpec spec = MethodCatalog.get(name);
        AttributionMethod fromCatalogue = spec.create(MLP, spec.bind(params), ProgressListener.NONE);
        double[] got = fromCatalogue.attribute(X, Target.of(1)).values().toDoubleArray();
        double[] want = direct.get().attribute(X, Target.of(1)).values().toDoubleArray();
        assertThat(fromCatalogue.name()).isEqualTo(name);
        assertThat(got).as("%s with %s", name, params.keySet()).containsExactly(want);
        Map<String, Object> required = new HashMap<>();
        spec.params().stream().filter(ParamSpec::required).forEach(p -> required.put(p.name(), params.get(p.name())));
        double[] defaults = spec.create(MLP, spec.bind(required), ProgressListener.NONE).attribute(X, Target.of(1)).values()
                .toDoubleArray();
        assertThat(defaults).as("%s: the given parameters must change the result", name).isNotEqualTo(want);
    }

    @Test
    void everyMethod_isMadeByItsEntryAndNamedAsIt() {
        Map<String, Object> required = Map.of("layer", TanhMlp.HIDDEN, "window", new int[] {1},
                "baseline", Baseline.distribution(Tensor.ofDoubles(new double[8], 2, 4)));
        for (MethodSpec s : MethodCatalog.all()) {
            Map<String, Object> given = new HashMap<>();
            s.params().stream().filter(ParamSpec::required).forEach(p -> given.put(p.name(), required.get(p.name())));
            assertThat(s.create(MLP, s.bind(given), ProgressListener.NONE).name()).as(s.name()).isEqualTo(s.name());
        }
        assertThat(MethodCatalog.names()).hasSize(23).doesNotHaveDuplicates();
    }

    @Test
    void everyDefault_passesItsOwnParameterCheck() {
        for (MethodSpec s : MethodCatalog.all()) {
            for (ParamSpec p : s.params()) {
                p.defaultValue().ifPresent(v -> assertThat(p.check(v)).as("%s %s", s.name(), p.name()).isNotNull());
                assertThat(p.help()).as("%s %s help", s.name(), p.name()).isNotBlank();
            }
            assertThat(s.summary()).as(s.name()).isNotBlank();
            assertThat(s.description()).as(s.name()).isNotBlank();
            assertThat(s.cost()).as(s.name()).isNotBlank();
        }
    }

    @Test
    void parameterThatDoesNotApply_isRefusedNamingTheMethod() {
        assertThatThrownBy(() -> MethodCatalog.get("kernel-shap").bind(Map.of("window", new int[] {1})))
                .isInstanceOf(Explain4jException.class).hasMessageStartingWith("window does not apply to kernel-shap");
        assertThatThrownBy(() -> MethodCatalog.get("smoothgrad").bind(Map.of("steps", 10)))
                .hasMessage("steps does not apply to smoothgrad with inner 'saliency'; it applies when inner is "
                        + "integrated-gradients");
        assertThatThrownBy(() -> MethodCatalog.get("smoothgrad").bind(Map.of("inner", "integrated-gradients", "abs", false)))
                .hasMessageStartingWith("abs does not apply to smoothgrad with inner 'integrated-gradients'");
        assertThat(MethodCatalog.get("smoothgrad").bind(Map.of("inner", "integrated-gradients", "steps", 10)).integer("steps"))
                .isEqualTo(10);
    }

    @Test
    void lrpParameters_applyToTheCompositesThatDeclareThem() {
        MethodSpec lrp = MethodCatalog.get("lrp");
        assertThatThrownBy(() -> lrp.bind(Map.of("composite", "epsilon-plus", "gamma", 0.5)))
                .hasMessage("gamma does not apply to lrp with composite 'epsilon-plus'; it applies when composite is "
                        + "epsilon-gamma-box");
        assertThatThrownBy(() -> lrp.bind(Map.of("beta", 2.0)))
                .hasMessage("beta does not apply to lrp with composite 'epsilon'; it applies when composite is "
                        + "epsilon-alpha2-beta1 or epsilon-alpha2-beta1-flat");
        assertThatThrownBy(() -> lrp.bind(Map.of("composite", "guided-backprop", "epsilon", 0.1)))
                .hasMessageStartingWith("epsilon does not apply to lrp with composite 'guided-backprop'");
        assertThat(lrp.param("gamma").orElseThrow().defaultValue()).contains(0.25);
        assertThat(lrp.param("beta").orElseThrow().defaultValue()).contains(1.0);
        assertThat(lrp.param("epsilon").orElseThrow().defaultValue()).as("epsilon's default depends on the composite")
                .isEmpty();
        assertThat(lrp.param("composite").orElseThrow().choices()).contains("excitation-backprop", "beta-smooth",
                "epsilon-alpha2-beta1-flat", "guided-backprop", "deconvolution");
        assertThat(lrp.bind(Map.of("composite", "epsilon-alpha2-beta1", "beta", 2.0)).real("beta")).isEqualTo(2.0);
    }

    @Test
    void valuesOutOfRange_areRefusedWithTheRange() {
        assertThatThrownBy(() -> MethodCatalog.get("deeplift").bind(Map.of("batch-size", 1)))
                .hasMessage("batch-size must be at least 2 (got 1)");
        assertThatThrownBy(() -> MethodCatalog.get("integrated-gradients").bind(Map.of("steps", 0)))
                .hasMessage("steps must be between 1 and 1000000 (got 0)");
        assertThatThrownBy(() -> MethodCatalog.get("integrated-gradients").bind(Map.of("steps", 1_000_001)))
                .hasMessage("steps must be between 1 and 1000000 (got 1000001)");
        assertThatThrownBy(() -> MethodCatalog.get("lime").bind(Map.of("kernel-width", 0.0)))
                .hasMessage("kernel-width must be greater than 0 (got 0)");
        assertThatThrownBy(() -> MethodCatalog.get("integrated-gradients").bind(Map.of("integration", "simpson")))
                .hasMessageStartingWith("integration 'simpson' is not one of gausslegendre");
        assertThatThrownBy(() -> MethodCatalog.get("occlusion").bind(Map.of()))
                .hasMessageStartingWith("occlusion needs window");
        assertThatThrownBy(() -> MethodCatalog.get("saliency").bind(Map.of("abs", "yes")))
                .hasMessage("abs must be true or false (got String)");
    }

    @Test
    void gradientMethodOnAFunctionModel_isRefusedNamingEveryPerturbationMethod() {
        FunctionModel f = FunctionModel.linear(new double[][] {{1, 1, 1, 1}}, new double[] {0}, 4);
        MethodSpec ig = MethodCatalog.get("integrated-gradients");
        assertThatThrownBy(() -> ig.create(f, ig.bind(Map.of()), ProgressListener.NONE))
                .hasMessageContaining("occlusion, feature-ablation, shapley-value-sampling, shapley-exact, kernel-shap, lime, "
                        + "feature-permutation");
        assertThat(MethodCatalog.perturbationMethods()).containsExactly("occlusion", "feature-ablation",
                "shapley-value-sampling", "shapley-exact", "kernel-shap", "lime", "feature-permutation");
    }

    @Test
    void bothBatchSizeLimits_comeFromOneCheck() {
        assertThatThrownBy(() -> new IntegratedGradients.Options(Baseline.zeros(), 5, Quadrature.GAUSS_LEGENDRE, 0))
                .hasMessage("batch-size must be at least 1 (got 0)");
        assertThatThrownBy(() -> DeepLift.Options.defaults().withBatchSize(1))
                .hasMessageStartingWith("batch-size must be at least 2 for DeepLIFT");
        List.of(1, 2).forEach(n -> assertThat(DeepLift.Options.defaults().withBatchSize(n + 1).batchSize()).isEqualTo(n + 1));
    }
}
