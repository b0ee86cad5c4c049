package org.explain4j.onnx.grad.propagation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.explain4j.core.ErrorKind;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Tensor;
import org.explain4j.core.grad.BackwardRequest;
import org.explain4j.core.grad.PropagationRules;
import org.explain4j.core.grad.RuleSet;
import org.explain4j.onnx.grad.Attr;
import org.explain4j.onnx.grad.OnnxDifferentiableModel;
import org.junit.jupiter.api.Test;

/** BatchNorm folding, and the clear refusals of strict rule sets. */
class CanonizersTest {
    private final Random rnd = new Random(41);

    private Net batchNorm(Net n, String in, String out, int channels) {
        return n.random(out + "_scale", rnd, 0.5, 1.5, channels).random(out + "_b", rnd, -0.5, 0.5, channels)
                .random(out + "_mean", rnd, -0.5, 0.5, channels).random(out + "_var", rnd, 0.2, 2, channels)
                .node("BatchNormalization", List.of(in, out + "_scale", out + "_b", out + "_mean", out + "_var"), out,
                        Attr.f("epsilon", 1e-3f));
    }

    private static long count(ModelProto m, String op) {
        return m.getGraph().getNodeList().stream().map(NodeProto::getOpType).filter(op::equals).count();
    }

    /** Asserts the canonized model computes the same outputs as the original. */
    private static void assertSameOutputs(ModelProto original, ModelProto canonical, Tensor x) {
        OnnxDifferentiableModel a = Fixtures.load(original);
        OnnxDifferentiableModel b = Fixtures.load(canonical);
        try {
            assertThat(Fixtures.relativeError(b.forward(x).toDoubleArray(), a.forward(x).toDoubleArray()))
                    .as("canonized vs original outputs").isLessThan(1e-5);
        } finally {
            Fixtures.close(a);
            Fixtures.close(b);
        }
    }

    @Test
    void convAndGemmBatchNorms_foldIntoNewInitializersWithoutTouchingTheCallersModel() {
        Net n = Net.input(-1, 2, 5, 5).random("K", rnd, -1, 1, 3, 2, 3, 3)
                .node("Conv", List.of("x", "K"), "c", Attr.ints("pads", 1, 1, 1, 1));
        batchNorm(n, "c", "bn1", 3).node("Relu", "bn1", "r").node("Flatten", "r", "f")
                .random("W", rnd, -1, 1, 75, 4).random("C", rnd, -1, 1, 1, 4)
                .node("Gemm", List.of("f", "W", "C"), "g", Attr.f("alpha", 0.8f), Attr.f("beta", 1.2f));
        ModelProto original = batchNorm(n, "g", "y", 4).build("y");
        byte[] before = original.toByteArray();
        ModelProto canonical = Canonizers.canonize(original, Fixtures.MERGE);
        assertThat(original.toByteArray()).as("the caller's model").isEqualTo(before);
        assertThat(count(canonical, "BatchNormalization")).isZero();
        assertThat(count(original, "BatchNormalization")).isEqualTo(2);
        assertThat(canonical.getGraph().getInitializerList()).noneMatch(t -> t.getName().endsWith("_mean"));
        assertSameOutputs(original, canonical, LrpRulesTest.random(rnd, 2, 2, 5, 5));
    }

    @Test
    void residualCnn_foldsAllThreeBatchNormsAndKeepsItsOutputs() {
        ModelProto original = DeepLiftTest.proto(Fixtures.fixture("residual_cnn.onnx"));
        ModelProto canonical = Canonizers.canonize(original, Fixtures.MERGE);
        assertThat(count(original, "BatchNormalization")).isEqualTo(3);
        assertThat(count(canonical, "BatchNormalization")).isZero();
        assertThat(count(canonical, "Add")).as("the residual Add stays explicit").isEqualTo(1);
        assertSameOutputs(original, canonical, LrpRulesTest.random(rnd, 2, 3, 12, 12));
        assertThat(Canonizers.canonize(canonical, Fixtures.MERGE)).as("nothing left to fold").isSameAs(canonical);
    }

    private Net unfoldable() {
        // the Conv's output is read by the BatchNormalization and by the Add: it cannot be folded
        Net n = Net.input(-1, 2, 4, 4).random("K", rnd, -1, 1, 2, 2, 3, 3)
                .node("Conv", List.of("x", "K"), "c", Attr.ints("pads", 1, 1, 1, 1));
        return batchNorm(n, "c", "bn", 2).node("Add", List.of("bn", "c"), "s").node("Flatten", "s", "y");
    }

    @Test
    void unfoldableBatchNorm_getsEpsilonAsAnAffineLayerUnderLrpAndItsGradientUnderDeepLift() {
        Net net = unfoldable();
        ModelProto model = net.build("y");
        assertThat(Canonizers.canonize(model, Fixtures.MERGE)).isSameAs(model);
        // the same model with the BatchNorm written as Mul by k and Add of (b - k mean), k = scale / sqrt(var + eps):
        // the gate rule passes the constant Mul, the norm rule on the Add is the epsilon rule of the affine map
        double[] k = new double[2];
        double[] shift = new double[2];
        for (int ch = 0; ch < 2; ch++) {
            k[ch] = net.values("bn_scale")[ch] / Math.sqrt(net.values("bn_var")[ch] + (double) 1e-3f);
            shift[ch] = net.values("bn_b")[ch] - k[ch] * net.values("bn_mean")[ch];
        }
        Net affine = Net.input(-1, 2, 4, 4).init("K", new long[] {2, 2, 3, 3}, net.values("K"))
                .init("k", new long[] {1, 2, 1, 1}, k).init("shift", new long[] {1, 2, 1, 1}, shift)
                .node("Conv", List.of("x", "K"), "c", Attr.ints("pads", 1, 1, 1, 1))
                .node("Mul", List.of("c", "k"), "ck").node("Add", List.of("ck", "shift"), "bn")
                .node("Add", List.of("bn", "c"), "s").node("Flatten", "s", "y");
        OnnxDifferentiableModel m = Fixtures.load(model);
        OnnxDifferentiableModel byHand = Fixtures.load(affine.build("y"));
        try {
            Tensor x = LrpRulesTest.random(rnd, 2, 2, 4, 4);
            double[] seed = LrpRulesTest.random(rnd, 2, 32).toDoubleArray();
            RuleSet lrp = Fixtures.composite("epsilon", "epsilon", 1e-9);
            double[] viaRule = Fixtures.backward(m, x, seed, new int[] {2, 32}, lrp);
            double[] viaOps = Fixtures.backward(byHand, x, seed, new int[] {2, 32}, lrp);
            assertThat(Arrays.stream(viaOps).map(Math::abs).max().orElse(0)).isGreaterThan(1e-3);
            assertThat(Fixtures.relativeError(viaRule, viaOps))
                    .as("LRP through the unfolded BatchNorm vs through its Mul and Add").isLessThan(1e-4);
            // the model is linear (Conv, BatchNorm, Add, Flatten): DeepLIFT's multipliers are its gradient
            double[] gradient = Fixtures.backward(m, x, seed, new int[] {2, 32}, RuleSet.gradient());
            Tensor batch = Tensor.concat(List.of(x, LrpRulesTest.random(rnd, 2, 2, 4, 4)));
            double[] seeds = Arrays.copyOf(seed, 128);
            double[] deepLift = Fixtures.backward(m, batch, seeds, new int[] {4, 32}, PropagationRules.deepLift());
            assertThat(Arrays.stream(gradient).map(Math::abs).max().orElse(0)).isGreaterThan(1e-3);
            assertThat(Fixtures.relativeError(Arrays.copyOf(deepLift, 64), gradient))
                    .as("DeepLIFT through the unfolded BatchNorm vs the plain gradient").isLessThan(1e-5);
        } finally {
            Fixtures.close(m);
            Fixtures.close(byHand);
        }
    }

    @Test
    void gradientAndModifiedGradientRuleSets_seeTheModelAsWritten() {
        // the pre-normalisation tensor 'c' disappears when BatchNorm is folded; the plain gradient and
        // guided backprop (which asks for no canonizer) keep it, LRP (which merges BatchNorm) does not
        Net n = Net.input(-1, 2, 4, 4).random("K", rnd, -1, 1, 2, 2, 3, 3)
                .node("Conv", List.of("x", "K"), "c", Attr.ints("pads", 1, 1, 1, 1));
        ModelProto model = batchNorm(n, "c", "bn", 2).node("Flatten", "bn", "y").build("y");
        OnnxDifferentiableModel m = Fixtures.load(model);
        try {
            Tensor x = LrpRulesTest.random(rnd, 1, 2, 4, 4);
            Tensor seed = LrpRulesTest.random(rnd, 1, 32);
            BackwardRequest capture = BackwardRequest.gradientOfInput().withCaptures(List.of("c"));
            Tensor plain = m.backward(x, seed, capture).inputGradient().orElseThrow();
            Tensor guided = m.backward(x, seed, capture.withRules(PropagationRules.guidedBackprop())).inputGradient()
                    .orElseThrow();
            assertThat(guided.toDoubleArray()).as("no ReLU: guided backprop is the gradient")
                    .containsExactly(plain.toDoubleArray(), org.assertj.core.data.Offset.offset(1e-6));
            assertThatThrownBy(() -> m.backward(x, seed, capture.withRules(Fixtures.composite("epsilon"))))
                    .isInstanceOf(Explain4jException.class).hasMessageContaining("no tensor 'c'");
        } finally {
            Fixtures.close(m);
        }
    }

    @Test
    void lrpOnConvBatchNormModel_equalsLrpOnTheHandFoldedModel() {
        // y = Gemm(Flatten(Relu(BN(Conv(x, K, B))))): fold by hand, W' = K * s, b' = (B - mean) * s + beta
        // with s = scale / sqrt(var + eps), and compare the relevance under composites that treat the
        // conv with a bias-sensitive rule (epsilon, z+, alpha-beta, gamma)
        Net n = Net.input(-1, 2, 5, 5).random("K", rnd, -1, 1, 3, 2, 3, 3).random("B", rnd, -0.5, 0.5, 3)
                .node("Conv", List.of("x", "K", "B"), "c", Attr.ints("pads", 1, 1, 1, 1));
        batchNorm(n, "c", "bn", 3).node("Relu", "bn", "r").node("Flatten", "r", "f").random("W", rnd, -1, 1, 4, 75)
                .random("C", rnd, -0.5, 0.5, 4).node("Gemm", List.of("f", "W", "C"), "y", Attr.i("transB", 1));
        ModelProto withBatchNorm = n.build("y");
        double[] k = n.values("K");
        double[] b = n.values("B");
        double[] scale = n.values("bn_scale");
        double[] beta = n.values("bn_b");
        double[] mean = n.values("bn_mean");
        double[] var = n.values("bn_var");
        double[] kf = new double[k.length];
        double[] bf = new double[3];
        for (int o = 0; o < 3; o++) {
            double s = scale[o] / Math.sqrt(var[o] + 1e-3);
            for (int i = 0; i < 18; i++) {
                kf[o * 18 + i] = k[o * 18 + i] * s;
            }
            bf[o] = (b[o] - mean[o]) * s + beta[o];
        }
        ModelProto folded = Net.input(-1, 2, 5, 5).init("K", new long[] {3, 2, 3, 3}, kf).init("B", new long[] {3}, bf)
                .node("Conv", List.of("x", "K", "B"), "c", Attr.ints("pads", 1, 1, 1, 1)).node("Relu", "c", "r")
                .node("Flatten", "r", "f").init("W", new long[] {4, 75}, n.values("W"))
                .init("C", new long[] {4}, n.values("C"))
                .node("Gemm", List.of("f", "W", "C"), "y", Attr.i("transB", 1)).build("y");
        OnnxDifferentiableModel a = Fixtures.load(withBatchNorm);
        OnnxDifferentiableModel h = Fixtures.load(folded);
        try {
            Tensor x = LrpRulesTest.random(rnd, 3, 2, 5, 5);
            double[] seed = LrpRulesTest.random(rnd, 3, 4).toDoubleArray();
            for (RuleSet rules : List.of(Fixtures.composite("epsilon", "epsilon", 1e-3),
                    Fixtures.composite("epsilon-plus"), Fixtures.composite("epsilon-alpha2-beta1", "beta", 2),
                    Fixtures.composite("epsilon-gamma-box", "gamma", 0.5, "low", -1, "high", 1),
                    Fixtures.composite("excitation-backprop"))) {
                double[] viaCanonizer = Fixtures.backward(a, x, seed, new int[] {3, 4}, rules);
                double[] byHand = Fixtures.backward(h, x, seed, new int[] {3, 4}, rules);
                assertThat(Arrays.stream(byHand).map(Math::abs).max().orElse(0)).as("%s: non-zero", rules.name())
                        .isGreaterThan(1e-3);
                assertThat(Fixtures.relativeError(viaCanonizer, byHand))
                        .as("%s: relevance with BatchNorm merged by the canonizer vs folded by hand", rules.name())
                        .isLessThan(1e-4);
            }
        } finally {
            Fixtures.close(a);
            Fixtures.close(h);
        }
    }

    @Test
    void opWithoutAnyBackwardRule_isNotSentToTheGradientMethods() {
        ModelProto model = Net.input(-1, 4).random("W", rnd, -1, 1, 4, 3).node("MatMul", List.of("x", "W"), "z")
                .node("Hardmax", "z", "y").build("y");
        OnnxDifferentiableModel m = Fixtures.load(model);
        try {
            Tensor x = LrpRulesTest.random(rnd, 2, 4);
            assertThatThrownBy(() -> Fixtures.backward(m, Tensor.concat(List.of(x, x)), new double[12], new int[] {4, 3},
                    Fixtures.composite("epsilon-plus", "epsilon", 1e-9)))
                    .isInstanceOfSatisfying(Explain4jException.class, e -> {
                        assertThat(e.kind()).isEqualTo(ErrorKind.UNSUPPORTED);
                        assertThat(e.getMessage()).contains("Hardmax").contains("no backward rule either")
                                .doesNotContain("use a gradient method");
                    });
        } finally {
            Fixtures.close(m);
        }
    }

    @Test
    void opOutsideTheRuleSet_failsWithOneLineNamingRuleSetOpNodeAndOpset() {
        ModelProto model = Net.input(-1, 4).random("W", rnd, -1, 1, 4, 3).node("MatMul", List.of("x", "W"), "z")
                .node("Abs", "z", "y").build("y");
        OnnxDifferentiableModel m = Fixtures.load(model);
        try {
            Tensor x = LrpRulesTest.random(rnd, 2, 4);
            for (RuleSet rules : List.of(Fixtures.composite("epsilon-plus", "epsilon", 1e-9),
                    PropagationRules.deepLift())) {
                assertThatThrownBy(() -> Fixtures.backward(m, Tensor.concat(List.of(x, x)), new double[12],
                        new int[] {4, 3}, rules))
                        .isInstanceOfSatisfying(Explain4jException.class, e -> {
                            assertThat(e.kind()).isEqualTo(ErrorKind.UNSUPPORTED);
                            assertThat(e.getMessage()).isEqualTo(rules.name() + ": Abs node 'Abs_1' (opset 13)"
                                    + " has no rule in this rule set; " + RefuseRule.alternatives());
                        });
            }
            double[] seed = LrpRulesTest.random(rnd, 2, 3).toDoubleArray();
            assertThat(Fixtures.backward(m, x, seed, new int[] {2, 3}, PropagationRules.guidedBackprop()))
                    .as("guided backprop keeps the gradient of ops it does not name (Abs, MatMul)")
                    .containsExactly(Fixtures.backward(m, x, seed, new int[] {2, 3}, RuleSet.gradient()),
                            org.assertj.core.data.Offset.offset(1e-6));
        } finally {
            Fixtures.close(m);
        }
    }

    @Test
    void trainingModeDropout_isRefusedUnderLrp() {
        ModelProto model = Net.input(-1, 4).random("W", rnd, -1, 1, 4, 3).init("ratio", new long[0], 0.5)
                .bool("training", true).node("MatMul", List.of("x", "W"), "z")
                .node("Dropout", List.of("z", "ratio", "training"), "y").build("y");
        OnnxDifferentiableModel m = Fixtures.load(model);
        try {
            Tensor x = LrpRulesTest.random(rnd, 2, 4);
            assertThatThrownBy(() -> Fixtures.backward(m, x, new double[6], new int[] {2, 3},
                    Fixtures.composite("epsilon", "epsilon", 1e-9)))
                    .isInstanceOfSatisfying(Explain4jException.class, e -> {
                        assertThat(e.kind()).isEqualTo(ErrorKind.UNSUPPORTED);
                        assertThat(e.getMessage()).contains("Dropout", "training mode");
                    });
        } finally {
            Fixtures.close(m);
        }
    }
}
