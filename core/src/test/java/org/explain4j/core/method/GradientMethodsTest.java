package org.explain4j.core.method;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Random;
import org.explain4j.core.Attribution;
import org.explain4j.core.Baseline;
import org.explain4j.core.ErrorKind;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.model.FunctionModel;
import org.junit.jupiter.api.Test;

class GradientMethodsTest {
    private final Random r = new Random(42);
    private final TanhMlp mlp = new TanhMlp(r, 5, 7, 3);
    private final Tensor x = Tensor.ofDoubles(PerturbationPropertiesTest.randomVector(r, 15), 3, 5);

    private static double sum(Tensor t, int n) {
        int d = t.exampleSize();
        double s = 0;
        for (int e = 0; e < d; e++) {
            s += t.getDouble(n * d + e);
        }
        return s;
    }

    private static double maxAbs(double[] v) {
        double m = 0;
        for (double d : v) {
            m = Math.max(m, Math.abs(d));
        }
        return m;
    }

    @Test
    void quadrature_weightsSumToOneAndGaussLegendreIsExactForPolynomials() {
        for (Quadrature q : Quadrature.values()) {
            double s = 0;
            for (double w : q.weights(7)) {
                s += w;
            }
            double expected = q == Quadrature.RIEMANN_TRAPEZOID ? 6.0 / 7 : 1.0; // Captum's trapezoid weights
            assertThat(s).as(q.label()).isCloseTo(expected, within(1e-12));
        }
        double[] a = Quadrature.GAUSS_LEGENDRE.alphas(4);
        double[] w = Quadrature.GAUSS_LEGENDRE.weights(4);
        double integral = 0;
        for (int k = 0; k < 4; k++) {
            integral += w[k] * Math.pow(a[k], 7);
        }
        assertThat(integral).isCloseTo(1.0 / 8, within(1e-14));
        assertThat(a).isSorted();
        assertThat(Quadrature.RIEMANN_TRAPEZOID.alphas(3)).containsExactly(0, 0.5, 1);
        assertThat(Quadrature.RIEMANN_MIDDLE.alphas(2)).containsExactly(0.25, 0.75);
        assertThat(Quadrature.parse("riemann_left")).isEqualTo(Quadrature.RIEMANN_LEFT);
    }

    @Test
    void integratedGradients_gapShrinksAsStepsGrow() {
        double previous = Double.MAX_VALUE;
        for (int steps : new int[] {2, 8, 32, 128}) {
            Attribution a = new IntegratedGradients(mlp, IntegratedGradients.Options.defaults().withSteps(steps)
                    .withIntegration(Quadrature.RIEMANN_RIGHT)).attribute(x, Target.of(1));
            double gap = maxAbs(a.diagnostics().completenessGap().orElseThrow());
            assertThat(gap).as("gap at %d steps", steps).isLessThan(previous);
            previous = gap;
        }
        Attribution gl = new IntegratedGradients(mlp, IntegratedGradients.Options.defaults()).attribute(x, Target.of(1));
        assertThat(maxAbs(gl.diagnostics().completenessGap().orElseThrow())).isLessThan(1e-8);
    }

    @Test
    void integratedGradients_baselineEqualToInput_givesZero() {
        Attribution a = new IntegratedGradients(mlp, IntegratedGradients.Options.defaults().withBaseline(Baseline.of(x)))
                .attribute(x, Target.of(0));
        assertThat(maxAbs(a.values().toDoubleArray())).isZero();
    }

    @Test
    void saliencyAndInputXGradient_matchTheHandDerivedGradient() {
        TanhMlp lin = new TanhMlp(new Random(1), 3, 1, 1);
        Tensor one = Tensor.ofDoubles(new double[] {0.3, -0.2, 0.9}, 1, 3);
        Attribution sal = new Saliency(lin, Saliency.Options.defaults().withAbs(false)).attribute(one, Target.of(0));
        Attribution ixg = new InputXGradient(lin, InputXGradient.Options.defaults()).attribute(one, Target.of(0));
        double h = Math.tanh(lin.b1[0] + lin.w1[0][0] * 0.3 + lin.w1[0][1] * -0.2 + lin.w1[0][2] * 0.9);
        for (int k = 0; k < 3; k++) {
            double g = lin.w2[0][0] * (1 - h * h) * lin.w1[0][k];
            assertThat(sal.values().getDouble(k)).isCloseTo(g, within(1e-6));
            assertThat(ixg.values().getDouble(k)).isCloseTo(one.getDouble(k) * g, within(1e-6));
        }
        Attribution abs = new Saliency(lin, Saliency.Options.defaults()).attribute(one, Target.of(0));
        for (int k = 0; k < 3; k++) {
            assertThat(abs.values().getDouble(k)).isEqualTo(Math.abs(sal.values().getDouble(k)));
        }
    }

    @Test
    void smoothGradWithZeroNoise_equalsTheInnerMethod() {
        Saliency inner = new Saliency(mlp, Saliency.Options.defaults());
        Attribution plain = inner.attribute(x, Target.of(0, 2, 1));
        Attribution smooth = new NoiseTunnel(inner, NoiseTunnel.Options.defaults().withNoiseStdDev(0).withSamples(4))
                .attribute(x, Target.of(0, 2, 1));
        assertThat(smooth.values().toDoubleArray()).containsExactly(plain.values().toDoubleArray(), within(1e-6));
        Attribution vg = new NoiseTunnel(inner, NoiseTunnel.Options.defaults().withNoiseStdDev(0)
                .withType(NoiseTunnel.NoiseType.VARGRAD)).attribute(x, Target.of(0));
        assertThat(maxAbs(vg.values().toDoubleArray())).isLessThan(1e-9);
    }

    @Test
    void smoothGrad_sameSeedSameResult_otherSeedOtherResult() {
        Saliency inner = new Saliency(mlp, Saliency.Options.defaults());
        NoiseTunnel.Options o = NoiseTunnel.Options.defaults().withNoiseStdDev(0.3).withSeed(9);
        Tensor a = new NoiseTunnel(inner, o).attribute(x, Target.of(1)).values();
        Tensor b = new NoiseTunnel(inner, o).attribute(x, Target.of(1)).values();
        Tensor c = new NoiseTunnel(inner, o.withSeed(10)).attribute(x, Target.of(1)).values();
        assertThat(a).isEqualTo(b);
        assertThat(a).isNotEqualTo(c);
    }

    @Test
    void gradientShap_withTheInputAsOnlyBaseline_givesZeroAndSmallGapOnAverage() {
        Attribution z = new GradientShap(mlp, GradientShap.Options.defaults().withBaseline(Baseline.of(x)))
                .attribute(x, Target.of(0));
        assertThat(maxAbs(z.values().toDoubleArray())).isZero();
        Attribution a = new GradientShap(mlp, GradientShap.Options.defaults().withSamples(4000).withSeed(3))
                .attribute(x, Target.of(0));
        assertThat(maxAbs(a.diagnostics().completenessGap().orElseThrow())).isLessThan(0.05);
    }

    @Test
    void saliency_runsNoSeparateForwardPass_whenTheModelDeclaresItsOutputs() {
        Attribution a = new Saliency(mlp, Saliency.Options.defaults()).attribute(x, Target.of(1));
        assertThat(a.diagnostics().modelEvaluations()).as("3 examples: 3 backward rows and no forward pass").isEqualTo(3);
        // a model that does not declare its outputs is run forward once first, and gives the same values
        org.explain4j.core.grad.DifferentiableModel undeclared = new org.explain4j.core.grad.DifferentiableModel() {
            @Override
            public Tensor forward(Tensor input) {
                return mlp.forward(input);
            }

            @Override
            public org.explain4j.core.grad.BackwardResult backward(Tensor input, Tensor seed,
                                                                   org.explain4j.core.grad.BackwardRequest request) {
                return mlp.backward(input, seed, request);
            }

            @Override
            public org.explain4j.core.model.ModelSignature signature() {
                return org.explain4j.core.model.ModelSignature.of(mlp.signature().inputType(),
                        mlp.signature().exampleShape(), -1);
            }

            @Override
            public org.explain4j.core.model.ModelInfo info() {
                return mlp.info();
            }
        };
        Attribution b = new Saliency(undeclared, Saliency.Options.defaults()).attribute(x, Target.of(1));
        assertThat(b.diagnostics().modelEvaluations()).as("3 forward rows, then 3 backward rows").isEqualTo(6);
        assertThat(b.values().toDoubleArray()).containsExactly(a.values().toDoubleArray());
        assertThat(maxAbs(a.values().toDoubleArray())).as("a non-zero gradient").isGreaterThan(1e-3);
    }

    @Test
    void layerIntegratedGradients_takesItsEndpointsFromOnePassOverInputAndBaseline() {
        Attribution a = new LayerIntegratedGradients(mlp, LayerOptions.of(TanhMlp.HIDDEN).withSteps(5))
                .attribute(x, Target.of(0));
        // 3 examples: 6 rows for the layer and the output at the input and the baseline, 3 x 5 path rows
        assertThat(a.diagnostics().modelEvaluations()).isEqualTo(6 + 15);
        assertThat(maxAbs(a.diagnostics().completenessGap().orElseThrow())).isLessThan(1e-9);
    }

    @Test
    void layerIntegratedGradients_onTheOnlyPath_isComplete() {
        LayerOptions o = LayerOptions.of(TanhMlp.HIDDEN).withBaseline(Baseline.constant(0.2));
        Attribution a = new LayerIntegratedGradients(mlp, o).attribute(x, Target.of(2));
        assertThat(a.values().shape()).containsExactly(3, 7);
        // The output is linear in the hidden layer, so even few steps are exact.
        assertThat(maxAbs(a.diagnostics().completenessGap().orElseThrow())).isLessThan(1e-9);
    }

    @Test
    void layerConductance_sumsToTheOutputDifference() {
        Attribution a = new LayerConductance(mlp, LayerOptions.of(TanhMlp.HIDDEN).withSteps(400)
                .withIntegration(Quadrature.RIEMANN_TRAPEZOID)).attribute(x, Target.of(1));
        Tensor fx = mlp.forward(x);
        Tensor fb = mlp.forward(Tensor.zeros(org.explain4j.core.DType.FLOAT64, 1, 5));
        for (int n = 0; n < 3; n++) {
            assertThat(sum(a.values(), n)).isCloseTo(fx.getDouble(n * 3 + 1) - fb.getDouble(1), within(1e-6));
        }
    }

    @Test
    void gradCam_onADenseLayer_isActivationTimesGradientSummed() {
        Attribution cam = new GradCam(mlp, LayerOptions.of(TanhMlp.HIDDEN))
                .attribute(x, Target.of(0));
        Attribution gxa = new LayerGradientXActivation(mlp, LayerOptions.of(TanhMlp.HIDDEN))
                .attribute(x, Target.of(0));
        // A (N, K) layer has no spatial dimensions: Grad-CAM is sum_k A_k dF/dA_k as one value per example.
        assertThat(cam.values().shape()).containsExactly(3, 1);
        for (int n = 0; n < 3; n++) {
            assertThat(cam.values().getDouble(n)).isCloseTo(sum(gxa.values(), n), within(1e-6));
        }
    }

    @Test
    void perExampleTargets_equalOneByOneRuns() {
        List<AttributionMethod> methods = List.of(
                new Saliency(mlp, Saliency.Options.defaults()),
                new IntegratedGradients(mlp, IntegratedGradients.Options.defaults().withSteps(9).withBatchSize(4)),
                new NoiseTunnel(new InputXGradient(mlp, InputXGradient.Options.defaults()),
                        NoiseTunnel.Options.defaults().withNoiseStdDev(0.2)),
                new GradientShap(mlp, GradientShap.Options.defaults().withSeed(4)),
                new GradCam(mlp, LayerOptions.of(TanhMlp.HIDDEN)),
                new LayerIntegratedGradients(mlp, LayerOptions.of(TanhMlp.HIDDEN).withSteps(5)),
                new LayerConductance(mlp, LayerOptions.of(TanhMlp.HIDDEN).withSteps(5)));
        int[] t = {2, 0, 1};
        for (AttributionMethod m : methods) {
            Tensor batch = m.attribute(x, Target.of(t)).values();
            for (int i = 0; i < 3; i++) {
                double[] one = m.attribute(x.example(i), Target.of(t[i])).values().toDoubleArray();
                assertThat(batch.example(i).toDoubleArray()).as(m.name()).containsExactly(one, within(1e-6));
            }
        }
    }

    @Test
    void modelWithoutGradients_isRefusedClearly() {
        var f = FunctionModel.linear(new double[][] {{1, 2}}, new double[] {0}, 2);
        assertThatThrownBy(() -> new MethodRun(f, 4, null, Tensor.ofDoubles(new double[2], 1, 2), Target.of(0))
                .gradients("saliency"))
                .isInstanceOfSatisfying(Explain4jException.class, e -> assertThat(e.kind()).isEqualTo(ErrorKind.UNSUPPORTED))
                .hasMessageContaining("perturbation method");
    }
}
