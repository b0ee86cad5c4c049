package org.explain4j.onnx.grad.propagation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnx.proto.OnnxMl.ModelProto;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.assertj.core.data.Offset;
import org.explain4j.core.DType;
import org.explain4j.core.ErrorKind;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Tensor;
import org.explain4j.core.grad.PropagationRules;
import org.explain4j.core.grad.RuleSet;
import org.explain4j.onnx.grad.Attr;
import org.explain4j.onnx.grad.OnnxDifferentiableModel;
import org.junit.jupiter.api.Test;

/** DeepLIFT's summation-to-delta: the attributions of each example sum to f(x) - f(x_ref) at the target. */
class DeepLiftTest {
    private static final RuleSet DEEPLIFT = PropagationRules.deepLift();

    /** DeepLIFT whose MaxPool rule is Captum's everywhere (no Captum-parity adjustment). */
    private static final RuleSet DEEPLIFT_POOL_RULE = new RuleSet("deeplift-pool-rule", java.util.stream.Stream.concat(
            java.util.stream.Stream.of(new RuleSet.Assignment(new RuleSet.Selector.OpType("MaxPool"), "deeplift-maxpool",
                    java.util.Map.of(CaptumParity.PARAM, 0.0))), DEEPLIFT.assignments().stream()).toList());

    private static Tensor random(Tensor x, double lo, double hi, long seed) {
        Random rnd = new Random(seed);
        double[] r = new double[x.size()];
        for (int i = 0; i < r.length; i++) {
            r[i] = lo + (hi - lo) * rnd.nextDouble();
        }
        return Tensor.ofDoublesAsFloats(r, x.shape());
    }

    /** Asserts completeness of DeepLIFT for targets 0, 1, 2, ... (modulo the classes). */
    private static void assertComplete(OnnxDifferentiableModel m, Tensor x, Tensor ref, RuleSet rules) {
        Tensor fx = m.forward(x);
        Tensor fr = m.forward(ref);
        int classes = fx.dim(1);
        int n = x.dim(0);
        int[] targets = new int[n];
        for (int i = 0; i < n; i++) {
            targets[i] = i % classes;
        }
        double[] a = Fixtures.deepLift(m, x, ref, targets, rules);
        int per = x.exampleSize();
        for (int e = 0; e < n; e++) {
            double delta = fx.getDouble(e * classes + targets[e]) - fr.getDouble(e * classes + targets[e]);
            assertThat(Fixtures.sum(a, e * per, (e + 1) * per)).as("example %d: attribution sum vs f(x) - f(ref)", e)
                    .isCloseTo(delta, Offset.offset(1e-4 * Math.max(1, Math.abs(delta))));
        }
    }

    @Test
    void mlpWithReluAndTanh_attributionsSumToTheOutputDifference() {
        // Gemm, Relu, Gemm, Tanh, Gemm (the golden tabular model's architecture, random weights)
        OnnxDifferentiableModel m = Fixtures.load(new NaiveCompositesTest.Mlp(new Random(12)).model);
        try {
            Tensor x = LrpRulesTest.random(new Random(13), 4, 6);
            assertComplete(m, x, random(x, -1, 1, 1), DEEPLIFT);
            assertComplete(m, x, Fixtures.zerosLike(x), DEEPLIFT);
        } finally {
            Fixtures.close(m);
        }
    }

    @Test
    void cnnWithMaxPoolAfterRelu_attributionsSumToTheOutputDifference() {
        // Conv, Relu, MaxPool, Conv, Relu, Flatten, Gemm (the golden digits model's architecture)
        OnnxDifferentiableModel m = Fixtures.load(new NaiveCompositesTest.Cnn(new Random(14)).model);
        try {
            Tensor x = LrpRulesTest.random(new Random(15), 4, 2, 6, 6);
            // Captum's own result (MaxPool gradient after the Relu) is complete where the reference's
            // pooled activations are constant per window, as for the zero baseline (relu(bias))
            assertComplete(m, x, Fixtures.zerosLike(x), DEEPLIFT);
            // with Captum's MaxPool rule everywhere, for any reference
            assertComplete(m, x, random(x, 0, 1, 2), DEEPLIFT_POOL_RULE);
            assertComplete(m, x, Fixtures.zerosLike(x), DEEPLIFT_POOL_RULE);
        } finally {
            Fixtures.close(m);
        }
    }

    @Test
    void maxPoolNotAfterAnActivation_usesCaptumsMaxPoolRuleAndStaysComplete() {
        // Conv -> MaxPool -> Relu: the MaxPool's input is no activation, so Captum's rule applies;
        // with the plain MaxPool gradient the sums would miss f(x) - f(ref)
        Random rnd = new Random(8);
        ModelProto model = Net.input(-1, 1, 6, 6).random("K", rnd, -1, 1, 3, 1, 3, 3).random("W", rnd, -1, 1, 4, 27)
                .node("Conv", List.of("x", "K"), "c", Attr.ints("pads", 1, 1, 1, 1))
                .node("MaxPool", "c", "p", Attr.ints("kernel_shape", 2, 2), Attr.ints("strides", 2, 2))
                .node("Relu", "p", "r").node("Flatten", "r", "f")
                .node("Gemm", List.of("f", "W"), "y", Attr.i("transB", 1)).build("y");
        OnnxDifferentiableModel m = Fixtures.load(model);
        try {
            Tensor x = LrpRulesTest.random(rnd, 4, 1, 6, 6);
            assertComplete(m, x, random(x, -1, 1, 3), DEEPLIFT);
        } finally {
            Fixtures.close(m);
        }
    }

    @Test
    void maxPoolRightAfterAnActivation_usesItsGradientAsCaptumDoes() {
        ModelProto cnn = new NaiveCompositesTest.Cnn(new Random(14)).model;
        RuleSet adjusted = CaptumParity.adjust(cnn, DEEPLIFT);
        assertThat(adjusted.name()).isEqualTo(DEEPLIFT.name());
        assertThat(adjusted.assignments()).hasSize(DEEPLIFT.assignments().size() + 1);
        assertThat(adjusted.assignments().get(0)).isEqualTo(new RuleSet.Assignment(
                new RuleSet.Selector.TensorName("p"), "gradient", java.util.Map.of()));
        assertThat(adjusted.canonizers()).isEqualTo(DEEPLIFT.canonizers());
        assertThat(CaptumParity.adjust(cnn, Fixtures.composite("epsilon", "epsilon", 1e-9)).assignments())
                .isEqualTo(Fixtures.composite("epsilon", "epsilon", 1e-9).assignments());
    }

    @Test
    void oddBatch_failsClearly() {
        OnnxDifferentiableModel m = Fixtures.load(new NaiveCompositesTest.Mlp(new Random(12)).model);
        try {
            Tensor x = Tensor.zeros(DType.FLOAT32, 3, 6);
            assertThatThrownBy(() -> Fixtures.backward(m, x, new double[9], new int[] {3, 3}, DEEPLIFT))
                    .isInstanceOfSatisfying(Explain4jException.class, e -> {
                        assertThat(e.kind()).isEqualTo(ErrorKind.UNSUPPORTED);
                        assertThat(e.getMessage()).contains("inputs followed by their references", "3 rows");
                    });
        } finally {
            Fixtures.close(m);
        }
    }

    static ModelProto proto(Path p) {
        try {
            return ModelProto.parseFrom(java.nio.file.Files.readAllBytes(p));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
