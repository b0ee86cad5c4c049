package org.explain4j.onnx.grad.propagation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnx.proto.OnnxMl.ModelProto;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import org.assertj.core.data.Offset;
import org.explain4j.core.DType;
import org.explain4j.core.ErrorKind;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Tensor;
import org.explain4j.core.grad.Composites;
import org.explain4j.core.grad.PropagationRules;
import org.explain4j.core.grad.RuleSet;
import org.explain4j.core.grad.Rules;
import org.explain4j.onnx.grad.OnnxDifferentiableModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * DeepLIFT and LRP on blocks of modern architectures ({@link ModernBlocks}): DeepLIFT's
 * completeness on each, LRP's conservation where its rules conserve, AttnLRP's values against
 * naive re-implementations on the attention and squeeze-and-excitation blocks, and guided
 * backprop running on each.
 */
class ModernBlocksTest {
    private static final RuleSet DEEPLIFT = PropagationRules.deepLift();

    /** A block by name, with the input shape of a batch of 3 and the tolerance of its element type. */
    private record Block(ModelProto model, int[] shape, double tolerance, boolean hasRelu) {
        Tensor random(long seed, double range) {
            Random rnd = new Random(seed);
            double[] v = new double[(int) Tensor.sizeOf(shape)];
            for (int i = 0; i < v.length; i++) {
                v[i] = range * (2 * rnd.nextDouble() - 1);
            }
            return tolerance < 1e-6 ? Tensor.ofDoubles(v, shape) : Tensor.ofDoublesAsFloats(v, shape).to(DType.FLOAT32);
        }
    }

    private static final double FLOAT = 2e-4;
    private static final double DOUBLE = 1e-9;

    private static Block block(String name) {
        Random rnd = new Random(name.hashCode());
        return switch (name) {
            case "inverted-residual-se" -> new Block(ModernBlocks.invertedResidual(rnd), new int[] {3, 4, 6, 6}, FLOAT,
                    true);
            case "se" -> new Block(ModernBlocks.se(rnd).build("y"), new int[] {3, 3, 4, 4}, FLOAT, true);
            case "convnext-erf" -> new Block(ModernBlocks.convNext(rnd, false), new int[] {3, 4, 5, 5}, FLOAT, false);
            case "convnext-gelu" -> new Block(ModernBlocks.convNext(rnd, true), new int[] {3, 4, 5, 5}, FLOAT, false);
            case "attention-1" -> new Block(ModernBlocks.attention(rnd, 1).build("y"),
                    new int[] {3, ModernBlocks.T, ModernBlocks.D}, DOUBLE, false);
            case "attention-2" -> new Block(ModernBlocks.attention(rnd, 2).build("y"),
                    new int[] {3, ModernBlocks.T, ModernBlocks.D}, DOUBLE, false);
            case "gated-mlp" -> new Block(ModernBlocks.gatedMlp(rnd), new int[] {3, 6}, FLOAT, false);
            case "densenet" -> new Block(ModernBlocks.denseNet(rnd, false), new int[] {3, 4, 5, 5}, FLOAT, true);
            case "densenet-shifted" -> new Block(ModernBlocks.denseNet(rnd, true), new int[] {3, 4, 5, 5}, FLOAT, true);
            default -> throw new IllegalArgumentException(name);
        };
    }

    private static <T> T with(ModelProto model, Function<OnnxDifferentiableModel, T> f) {
        OnnxDifferentiableModel m = Fixtures.load(model);
        try {
            return f.apply(m);
        } finally {
            Fixtures.close(m);
        }
    }

    private static final int[] TARGETS = {0, 1, 2};

    private static double logit(Tensor out, int n) {
        return out.getDouble(n * out.dim(1) + TARGETS[n]);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"inverted-residual-se", "se", "convnext-erf", "attention-1", "attention-2", "gated-mlp",
            "densenet", "densenet-shifted"})
    void eachBlock_deepLiftSumsToTheOutputDifference(String name) {
        Block b = block(name);
        Tensor x = b.random(1, 3);
        for (Tensor ref : List.of(b.random(2, 3), Fixtures.zerosLike(x))) {
            with(b.model(), m -> {
                Tensor fx = m.forward(x);
                Tensor fr = m.forward(ref);
                double[] a = Fixtures.deepLift(m, x, ref, TARGETS, DEEPLIFT);
                int per = x.exampleSize();
                for (int n = 0; n < TARGETS.length; n++) {
                    double delta = logit(fx, n) - logit(fr, n);
                    assertThat(Fixtures.sum(a, n * per, (n + 1) * per))
                            .as("%s, example %d: attribution sum vs f(x) - f(ref)", name, n)
                            .isCloseTo(delta, Offset.offset(b.tolerance() * Math.max(1, Math.abs(delta))));
                }
                return null;
            });
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"inverted-residual-se", "se", "convnext-gelu", "gated-mlp", "densenet"})
    void blockWithoutBiases_lrpRelevanceSumsToTheLogit(String name) {
        Block b = block(name);
        Tensor x = b.random(3, 2);
        // (only epsilon: z+ drops the relevance of an output whose contributions are all negative,
        // frequent on depthwise and 1x1 convs with few inputs, so epsilon-plus conserves only on se and gated-mlp)
        for (String composite : name.equals("se") || name.equals("gated-mlp") ? List.of("epsilon", "epsilon-plus")
                : List.of("epsilon")) {
            RuleSet rules = Fixtures.composite(composite, "epsilon", 1e-9);
            with(b.model(), m -> {
                Tensor out = m.forward(x);
                double[] rel = Fixtures.lrp(m, x, TARGETS, rules);
                int per = x.exampleSize();
                for (int n = 0; n < TARGETS.length; n++) {
                    assertThat(Fixtures.sum(rel, n * per, (n + 1) * per))
                            .as("%s under %s, example %d: relevance sum vs the logit", name, composite, n)
                            .isCloseTo(logit(out, n), Offset.offset(b.tolerance()
                                    * Math.max(1, Math.abs(logit(out, n)))));
                }
                return null;
            });
        }
    }

    @ParameterizedTest(name = "{0} heads")
    @ValueSource(ints = {1, 2})
    void attention_lrpMatchesNaiveAttnLrp(int heads) {
        Net net = ModernBlocks.attention(new Random(40 + heads), heads);
        Block b = new Block(net.build("y"), new int[] {3, ModernBlocks.T, ModernBlocks.D}, DOUBLE, false);
        Tensor x = b.random(5, 1.5);
        double eps = 1e-9;
        double[] rel = with(b.model(), m -> Fixtures.lrp(m, x, TARGETS, Fixtures.composite("epsilon", "epsilon", eps)));
        NaiveAttnLrp naive = new NaiveAttnLrp(net, heads, eps);
        double[] xv = x.toDoubleArray();
        double[] expected = new double[xv.length];
        int per = ModernBlocks.T * ModernBlocks.D;
        for (int n = 0; n < TARGETS.length; n++) {
            double[][] xn = NaiveAttnLrp.matrix(Arrays.copyOfRange(xv, n * per, (n + 1) * per), ModernBlocks.T,
                    ModernBlocks.D);
            double[][] r = naive.relevance(xn, TARGETS[n]);
            for (int t = 0; t < ModernBlocks.T; t++) {
                System.arraycopy(r[t], 0, expected, n * per + t * ModernBlocks.D, ModernBlocks.D);
            }
        }
        // ONNX Runtime's float64 forward pass of this block differs from the loops' by ~2e-8 relative
        assertThat(Fixtures.relativeError(rel, expected)).as("max error relative to the largest naive relevance")
                .isLessThan(1e-7);
    }

    @ParameterizedTest(name = "Mul under {0}")
    @ValueSource(strings = {Rules.GATE, Rules.UNIFORM})
    void squeezeExcitation_lrpMatchesNaiveGateAndUniformRules(String mulRule) {
        Net net = ModernBlocks.se(new Random(50));
        Block b = new Block(net.build("y"), new int[] {3, 3, 4, 4}, FLOAT, true);
        Tensor x = b.random(6, 2);
        double eps = 1e-9;
        RuleSet rules = Composites.EPSILON.withFirst(List.of(RuleSet.Assignment.op("Mul", mulRule)))
                .named("se-test", "epsilon with " + mulRule + " on Mul").rules(Map.of());
        double[] rel = with(b.model(), m -> Fixtures.lrp(m, x, TARGETS, rules));
        double[] expected = naiveSe(net, x.toDoubleArray(), mulRule.equals(Rules.UNIFORM), eps);
        assertThat(Fixtures.relativeError(rel, expected)).as("max error relative to the largest naive relevance")
                .isLessThan(1e-4);
    }

    /** The SE block's LRP (epsilon everywhere, norm on the pools) in loops, for each example of {@code xv}. */
    private static double[] naiveSe(Net net, double[] xv, boolean uniform, double eps) {
        double[] k = net.values("K");
        double[] w1 = net.values("W1");
        double[] w2 = net.values("W2");
        double[] wo = net.values("Wo");
        int ci = 3;
        int co = 6;
        int px = 16;
        double[] out = new double[xv.length];
        for (int n = 0; n < TARGETS.length; n++) {
            int off = n * ci * px;
            double[][] c = new double[co][px];
            double[][] h = new double[co][px];
            double[] sq = new double[co];
            for (int o = 0; o < co; o++) {
                for (int p = 0; p < px; p++) {
                    for (int i = 0; i < ci; i++) {
                        c[o][p] += k[o * ci + i] * xv[off + i * px + p];
                    }
                    h[o][p] = Math.max(c[o][p], 0);
                    sq[o] += h[o][p] / px;
                }
            }
            double[] z1 = new double[3];
            for (int j = 0; j < 3; j++) {
                for (int o = 0; o < co; o++) {
                    z1[j] += w1[j * co + o] * sq[o];
                }
            }
            double[] z2 = new double[co];
            double[] gate = new double[co];
            double[] pm = new double[co];
            double[][] m = new double[co][px];
            for (int o = 0; o < co; o++) {
                for (int j = 0; j < 3; j++) {
                    z2[o] += w2[o * 3 + j] * Math.max(z1[j], 0);
                }
                gate[o] = 1 / (1 + Math.exp(-z2[o]));
                for (int p = 0; p < px; p++) {
                    m[o][p] = h[o][p] * gate[o];
                    pm[o] += m[o][p] / px;
                }
            }
            int t = TARGETS[n];
            double y = 0;
            for (int o = 0; o < co; o++) {
                y += wo[t * co + o] * pm[o];
            }
            // classifier, pool (norm), the Mul (gate: all to h; uniform: half to h, half to the gate)
            double[][] rh = new double[co][px];
            double[] rGate = new double[co];
            for (int o = 0; o < co; o++) {
                double rpm = pm[o] * wo[t * co + o] * y / NaiveLrp.stabilize(y, eps);
                for (int p = 0; p < px; p++) {
                    double rm = m[o][p] * rpm / NaiveLrp.stabilize(pm[o], eps) / px;
                    rh[o][p] += uniform ? rm / 2 : rm;
                    rGate[o] += uniform ? rm / 2 : 0;
                }
            }
            // the gate branch: sigmoid and relu pass, epsilon on both Gemms, norm on the pool
            double[] ra1 = new double[3];
            for (int j = 0; j < 3; j++) {
                for (int o = 0; o < co; o++) {
                    ra1[j] += Math.max(z1[j], 0) * w2[o * 3 + j] * rGate[o] / NaiveLrp.stabilize(z2[o], eps);
                }
            }
            for (int o = 0; o < co; o++) {
                double rsq = 0;
                for (int j = 0; j < 3; j++) {
                    rsq += sq[o] * w1[j * co + o] * ra1[j] / NaiveLrp.stabilize(z1[j], eps);
                }
                for (int p = 0; p < px; p++) {
                    rh[o][p] += h[o][p] * rsq / NaiveLrp.stabilize(sq[o], eps) / px;
                }
            }
            // relu passes, epsilon on the 1x1 conv
            for (int i = 0; i < ci; i++) {
                for (int p = 0; p < px; p++) {
                    double s = 0;
                    for (int o = 0; o < co; o++) {
                        s += k[o * ci + i] * rh[o][p] / NaiveLrp.stabilize(c[o][p], eps);
                    }
                    out[off + i * px + p] = xv[off + i * px + p] * s;
                }
            }
        }
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"inverted-residual-se", "se", "convnext-erf", "attention-1", "attention-2", "gated-mlp",
            "densenet"})
    void eachBlock_guidedBackpropRunsAndIsTheGradientWithoutRelu(String name) {
        Block b = block(name);
        Tensor x = b.random(7, 2);
        double[] seed = Fixtures.oneHot(TARGETS, 3, null);
        int[] seedShape = {3, 3};
        double[][] r = with(b.model(), m -> new double[][] {
                Fixtures.backward(m, x, seed, seedShape, PropagationRules.guidedBackprop()),
                Fixtures.backward(m, x, seed, seedShape, RuleSet.gradient())});
        double[] guided = r[0];
        assertThat(guided).hasSize(x.size());
        assertThat(Arrays.stream(guided).allMatch(Double::isFinite)).as("finite").isTrue();
        assertThat(Arrays.stream(guided).map(Math::abs).max().orElse(0)).as("largest magnitude").isGreaterThan(1e-3);
        if (!b.hasRelu()) {
            assertThat(Fixtures.relativeError(guided, r[1])).as("guided backprop vs the gradient").isLessThan(1e-12);
        } else {
            assertThat(Fixtures.relativeError(guided, r[1])).as("guided backprop differs from the gradient")
                    .isGreaterThan(1e-3);
        }
    }

    @Test
    void attentionDeepLift_exampleAloneEqualsExampleInABatch() {
        // the softmax rule works within each example (Captum's normalises over the doubled batch)
        Block b = block("attention-2");
        Tensor x = b.random(8, 3);
        Tensor ref = b.random(9, 3);
        double[] batch = with(b.model(), m -> Fixtures.deepLift(m, x, ref, TARGETS, DEEPLIFT));
        int per = x.exampleSize();
        for (int n = 0; n < 3; n++) {
            int e = n;
            double[] alone = with(b.model(), m -> Fixtures.deepLift(m, x.slice(e, e + 1), ref.slice(e, e + 1),
                    new int[] {TARGETS[e]}, DEEPLIFT));
            assertThat(Fixtures.relativeError(Arrays.copyOfRange(batch, e * per, (e + 1) * per), alone))
                    .as("example %d in a batch vs alone", e).isLessThan(1e-12);
        }
    }

    @Test
    void divisionByAnActivation_lrpRefusesInOneLineAndDeepLiftIsComplete() {
        ModelProto model = Net.input(-1, 4).random("W", new Random(1), -1, 1, 3, 4)
                .node("Sigmoid", "x", "s").node("Div", List.of("x", "s"), "d")
                .node("Gemm", List.of("d", "W"), "y", org.explain4j.onnx.grad.Attr.i("transB", 1)).build("y");
        Tensor x = Tensor.ofDoublesAsFloats(new double[] {1, 2, 3, 4}, 1, 4).to(DType.FLOAT32);
        // LRP: a divisor of the numerator's shape is not a broadcast normaliser
        RuleSet lrp = Fixtures.composite("epsilon");
        assertThatThrownBy(() -> with(model, m -> Fixtures.backward(m, x, new double[3], new int[] {1, 3}, lrp)))
                .isInstanceOf(Explain4jException.class)
                .satisfies(e -> assertThat(((Explain4jException) e).kind()).isEqualTo(ErrorKind.UNSUPPORTED))
                .hasMessageContaining("Div")
                .hasMessageContaining("division by a tensor that depends on the input")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
        // DeepLIFT: x / s = x (1 / s) with 1 / s's exact multiplier; complete for x / sigmoid(x)
        Tensor ref = Tensor.ofDoublesAsFloats(new double[] {-1, 0.5, 0, 2}, 1, 4).to(DType.FLOAT32);
        for (int t = 0; t < 3; t++) {
            int target = t;
            double[] a = with(model, m -> Fixtures.deepLift(m, x, ref, new int[] {target}, DEEPLIFT));
            double delta = with(model, m -> m.forward(x).getDouble(target) - m.forward(ref).getDouble(target));
            assertThat(Fixtures.sum(a, 0, 4)).as("target %d", t).isCloseTo(delta,
                    org.assertj.core.data.Offset.offset(1e-4 * Math.max(1, Math.abs(delta))));
        }
    }

    @Test
    void relu6BeforeOverlappingMaxPool_deepLiftStaysCompleteForAnyReference() {
        // 3x3 stride-2 windows overlap; after ReLU6 (which Captum does not hook) the max-pool rule stays,
        // and its scatter adds where windows share a position (Captum's max-unpool overwrites)
        Random rnd = new Random(60);
        ModelProto model = Net.input(-1, 2, 7, 7).random("K", rnd, -1, 1, 3, 2, 3, 3).random("W", rnd, -1, 1, 3, 27)
                .init("lo", new long[0], 0).init("hi", new long[0], 6)
                .node("Conv", List.of("x", "K"), "c", org.explain4j.onnx.grad.Attr.ints("pads", 1, 1, 1, 1))
                .node("Clip", List.of("c", "lo", "hi"), "c6")
                .node("MaxPool", "c6", "p", org.explain4j.onnx.grad.Attr.ints("kernel_shape", 3, 3),
                        org.explain4j.onnx.grad.Attr.ints("strides", 2, 2))
                .node("Flatten", "p", "f").node("Gemm", List.of("f", "W"), "y", org.explain4j.onnx.grad.Attr.i("transB", 1))
                .build("y", 16);
        Block b = new Block(model, new int[] {3, 2, 7, 7}, FLOAT, false);
        Tensor x = b.random(11, 3);
        Tensor ref = b.random(12, 3);
        with(model, m -> {
            Tensor fx = m.forward(x);
            Tensor fr = m.forward(ref);
            double[] a = Fixtures.deepLift(m, x, ref, TARGETS, DEEPLIFT);
            int per = x.exampleSize();
            for (int n = 0; n < TARGETS.length; n++) {
                double delta = logit(fx, n) - logit(fr, n);
                assertThat(Fixtures.sum(a, n * per, (n + 1) * per)).as("example %d: attribution sum vs f(x) - f(ref)", n)
                        .isCloseTo(delta, Offset.offset(FLOAT * Math.max(1, Math.abs(delta))));
            }
            return null;
        });
    }

    @Test
    void softmaxWithMinusInfinityMask_deepLiftCompleteAndLrpFinite() {
        Random rnd = new Random(70);
        double inf = Double.NEGATIVE_INFINITY;
        Net net = Net.input64(-1, 4).random("W", rnd, -1, 1, 4, 4).random("V", rnd, -1, 1, 4, 3)
                .init("mask", new long[] {4}, 0, inf, 0, inf)
                .node("MatMul", List.of("x", "W"), "s").node("Add", List.of("s", "mask"), "sm")
                .node("Softmax", "sm", "p", org.explain4j.onnx.grad.Attr.i("axis", -1))
                .node("Mul", List.of("p", "s"), "ps").node("MatMul", List.of("ps", "V"), "y");
        Block b = new Block(net.build("y"), new int[] {3, 4}, DOUBLE, false);
        Tensor x = b.random(13, 2);
        Tensor ref = b.random(14, 2);
        with(b.model(), m -> {
            Tensor fx = m.forward(x);
            Tensor fr = m.forward(ref);
            double[] a = Fixtures.deepLift(m, x, ref, TARGETS, DEEPLIFT);
            for (int n = 0; n < TARGETS.length; n++) {
                double delta = logit(fx, n) - logit(fr, n);
                assertThat(Fixtures.sum(a, n * 4, (n + 1) * 4)).as("example %d: attribution sum vs f(x) - f(ref)", n)
                        .isCloseTo(delta, Offset.offset(DOUBLE * Math.max(1, Math.abs(delta))));
            }
            double[] rel = Fixtures.lrp(m, x, TARGETS, Fixtures.composite("epsilon", "epsilon", 1e-9));
            assertThat(Arrays.stream(rel).allMatch(Double::isFinite)).as("LRP relevance is finite").isTrue();
            assertThat(Arrays.stream(rel).map(Math::abs).max().orElse(0)).isGreaterThan(1e-3);
            return null;
        });
    }

    @Test
    void softmaxAgainstAShiftedReference_deepLiftIsTheShiftTimesTheJacobian() {
        // x = ref + c per row: softmax does not move, and on that line its Jacobian is constant, so
        // the answer is c J^T e_t (integrated gradients' too): c y_k (delta_kt - y_t), summing to 0.
        // The former rule (product rule on exp(x - m) * (1 / sum)) had multipliers of size exp(c) / 8
        // there: it gave -6.1e24 for feature 0 of the first example (c = 60), in float64.
        ModelProto model = Net.input64(-1, 4).node("Softmax", "x", "y", org.explain4j.onnx.grad.Attr.i("axis", -1)).build("y");
        double[] xs = {0.5, -1, 2, 0.25, 3, 1, -2, 0};
        double[] shifts = {60, -45};
        double[] refs = new double[8];
        for (int i = 0; i < 8; i++) {
            refs[i] = xs[i] - shifts[i / 4];
        }
        Tensor x = Tensor.ofDoubles(xs, 2, 4);
        Tensor ref = Tensor.ofDoubles(refs, 2, 4);
        int[] targets = {2, 0};
        with(model, m -> {
            double[] a = Fixtures.deepLift(m, x, ref, targets, DEEPLIFT);
            Tensor y = m.forward(x);
            for (int n = 0; n < 2; n++) {
                double yt = y.getDouble(n * 4 + targets[n]);
                for (int k = 0; k < 4; k++) {
                    double expected = shifts[n] * y.getDouble(n * 4 + k) * ((k == targets[n] ? 1 : 0) - yt);
                    assertThat(a[n * 4 + k]).as("example %d, feature %d", n, k)
                            .isCloseTo(expected, Offset.offset(DOUBLE * Math.abs(shifts[n])));
                }
                assertThat(Fixtures.sum(a, n * 4, (n + 1) * 4)).as("example %d: softmax did not move", n)
                        .isCloseTo(0, Offset.offset(DOUBLE * Math.abs(shifts[n])));
            }
            return null;
        });
    }
}
