package org.explain4j.onnx.grad.propagation;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnx.proto.OnnxMl.ModelProto;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.assertj.core.api.SoftAssertions;
import org.explain4j.core.Tensor;
import org.explain4j.core.grad.Canonizer;
import org.explain4j.core.grad.Composite;
import org.explain4j.core.grad.Composites;
import org.explain4j.core.grad.RuleSet;
import org.explain4j.core.grad.Rules;
import org.explain4j.onnx.grad.Attr;
import org.explain4j.onnx.grad.OnnxDifferentiableModel;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Whole composites on a small MLP and a small CNN against a naive re-implementation: the forward
 * pass in plain loops and, layer by layer, the rule that Zennit 0.5.1's composite gives the layer
 * in {@link NaiveLrp}'s matrix form (README "LRP composites").
 */
class NaiveCompositesTest {
    private static final double TOL = 5e-4;
    private static final double STAB = 1e-6;

    /** A linear layer's rule: {@code R_x} from the layer matrix, bias, input and output relevance. */
    interface Lin {
        double[] apply(double[][] a, double[] b, double[] x, double[] r);
    }

    /** An activation's rule: {@code R_z} from its input {@code z}, output {@code y} and output relevance. */
    interface Act {
        double[] apply(double[] z, double[] y, double[] r);
    }

    static Lin epsilon(double eps) {
        return (a, b, x, r) -> NaiveLrp.epsilon(a, b, x, r, eps);
    }

    static final Lin ZPLUS = (a, b, x, r) -> NaiveLrp.zPlus(a, b, x, r, STAB);
    static final Lin GRADIENT = (a, b, x, r) -> NaiveLrp.back(a, r);
    static final Lin FLAT = (a, b, x, r) -> NaiveLrp.onesInput(NaiveLrp.map(a, v -> v == 0 ? 0 : 1), null, r, STAB);

    static Lin alphaBeta(double beta) {
        return (a, b, x, r) -> NaiveLrp.alphaBeta(a, b, x, r, 1 + beta, beta, STAB);
    }

    static Lin gamma(double gamma) {
        return (a, b, x, r) -> NaiveLrp.gamma(a, b, x, r, gamma, STAB);
    }

    static Lin zBox(double low, double high) {
        return (a, b, x, r) -> {
            double[] lo = new double[x.length];
            double[] hi = new double[x.length];
            Arrays.fill(lo, low);
            Arrays.fill(hi, high);
            return NaiveLrp.zBox(a, x, lo, hi, r, STAB);
        };
    }

    static final Act PASS = (z, y, r) -> r;
    static final Act RELU_GRADIENT = (z, y, r) -> each(z, r, (zi, ri) -> zi > 0 ? ri : 0);
    static final Act SMOOTH = (z, y, r) -> each(z, r, (zi, ri) -> ri / (1 + Math.exp(-10 * zi)));
    static final Act TANH_GRADIENT = (z, y, r) -> each(y, r, (yi, ri) -> ri * (1 - yi * yi));

    /** The naive network: forward in plain loops, backward with one rule per layer. */
    interface Naive {
        /** One example's logits. */
        double[] forward(double[] x);

        /** One example's input relevance for output relevance {@code r}. */
        double[] backward(double[] x, double[] r, Lin first, Lin middle, Lin last, Act relu, Act other);
    }

    /** Gemm(6 -> 5), Relu, Gemm(5 -> 4), Tanh, Gemm(4 -> 3), every Gemm with a bias. */
    static final class Mlp implements Naive {
        final ModelProto model;
        final double[][] a1;
        final double[][] a2;
        final double[][] a3;
        final double[] b1;
        final double[] b2;
        final double[] b3;

        Mlp(Random rnd) {
            Net n = Net.input(-1, 6).random("W1", rnd, -1, 1, 5, 6).random("B1", rnd, -0.5, 0.5, 5)
                    .node("Gemm", List.of("x", "W1", "B1"), "h1", Attr.i("transB", 1)).node("Relu", "h1", "a1")
                    .random("W2", rnd, -1, 1, 4, 5).random("B2", rnd, -0.5, 0.5, 4)
                    .node("Gemm", List.of("a1", "W2", "B2"), "h2", Attr.i("transB", 1)).node("Tanh", "h2", "a2")
                    .random("W3", rnd, -1, 1, 3, 4).random("B3", rnd, -0.5, 0.5, 3)
                    .node("Gemm", List.of("a2", "W3", "B3"), "y", Attr.i("transB", 1));
            model = n.build("y");
            a1 = NaiveLrp.dense(n.values("W1"), 5, 6, true, 1);
            a2 = NaiveLrp.dense(n.values("W2"), 4, 5, true, 1);
            a3 = NaiveLrp.dense(n.values("W3"), 3, 4, true, 1);
            b1 = n.values("B1");
            b2 = n.values("B2");
            b3 = n.values("B3");
        }

        @Override
        public double[] forward(double[] x) {
            double[] z1 = NaiveLrp.z(a1, b1, x);
            double[] z2 = NaiveLrp.z(a2, b2, NaiveLrp.map(z1, NaiveLrp::pos));
            return NaiveLrp.z(a3, b3, NaiveLrp.map(z2, Math::tanh));
        }

        @Override
        public double[] backward(double[] x, double[] r, Lin first, Lin middle, Lin last, Act relu, Act tanh) {
            double[] z1 = NaiveLrp.z(a1, b1, x);
            double[] y1 = NaiveLrp.map(z1, NaiveLrp::pos);
            double[] z2 = NaiveLrp.z(a2, b2, y1);
            double[] y2 = NaiveLrp.map(z2, Math::tanh);
            double[] r2 = tanh.apply(z2, y2, last.apply(a3, b3, y2, r));
            double[] r1 = relu.apply(z1, y1, middle.apply(a2, b2, y1, r2));
            return first.apply(a1, b1, x, r1);
        }
    }

    /**
     * Conv(2 -> 3, 3x3, pads 1) with bias, Relu, MaxPool(2x2, stride 2), Conv(3 -> 4, 2x2) with
     * bias, Relu, Flatten, Gemm(16 -> 5) with bias, on 2x6x6 inputs.
     */
    static final class Cnn implements Naive {
        final ModelProto model;
        final double[][] c1;
        final double[][] c2;
        final double[][] d;
        final double[] b1;
        final double[] b2;
        final double[] bd;

        Cnn(Random rnd) {
            Net n = Net.input(-1, 2, 6, 6).random("K1", rnd, -1, 1, 3, 2, 3, 3).random("B1", rnd, -0.3, 0.3, 3)
                    .node("Conv", List.of("x", "K1", "B1"), "c1", Attr.ints("pads", 1, 1, 1, 1))
                    .node("Relu", "c1", "r1")
                    .node("MaxPool", "r1", "p", Attr.ints("kernel_shape", 2, 2), Attr.ints("strides", 2, 2))
                    .random("K2", rnd, -1, 1, 4, 3, 2, 2).random("B2", rnd, -0.3, 0.3, 4)
                    .node("Conv", List.of("p", "K2", "B2"), "c2").node("Relu", "c2", "r2").node("Flatten", "r2", "f")
                    .random("W", rnd, -1, 1, 5, 16).random("C", rnd, -0.3, 0.3, 5)
                    .node("Gemm", List.of("f", "W", "C"), "y", Attr.i("transB", 1));
            model = n.build("y");
            int[] one = {1, 1};
            c1 = NaiveLrp.conv(n.values("K1"), 2, 6, 6, 3, 3, 3, one, new int[] {1, 1, 1, 1}, one, 1);
            c2 = NaiveLrp.conv(n.values("K2"), 3, 3, 3, 4, 2, 2, one, new int[] {0, 0, 0, 0}, one, 1);
            d = NaiveLrp.dense(n.values("W"), 5, 16, true, 1);
            b1 = NaiveLrp.channelBias(n.values("B1"), 36);
            b2 = NaiveLrp.channelBias(n.values("B2"), 4);
            bd = n.values("C");
        }

        /** The index (in the 3x6x6 input) of each 2x2 window's first maximum. */
        private static int[] argmax(double[] y) {
            int[] idx = new int[27];
            for (int c = 0; c < 3; c++) {
                for (int i = 0; i < 3; i++) {
                    for (int j = 0; j < 3; j++) {
                        int best = -1;
                        for (int di = 0; di < 2; di++) {
                            for (int dj = 0; dj < 2; dj++) {
                                int k = (c * 6 + 2 * i + di) * 6 + 2 * j + dj;
                                if (best < 0 || y[k] > y[best]) {
                                    best = k;
                                }
                            }
                        }
                        idx[(c * 3 + i) * 3 + j] = best;
                    }
                }
            }
            return idx;
        }

        private static double[] pool(double[] y, int[] idx) {
            double[] p = new double[idx.length];
            for (int k = 0; k < idx.length; k++) {
                p[k] = y[idx[k]];
            }
            return p;
        }

        @Override
        public double[] forward(double[] x) {
            double[] y1 = NaiveLrp.map(NaiveLrp.z(c1, b1, x), NaiveLrp::pos);
            double[] y2 = NaiveLrp.map(NaiveLrp.z(c2, b2, pool(y1, argmax(y1))), NaiveLrp::pos);
            return NaiveLrp.z(d, bd, y2);
        }

        @Override
        public double[] backward(double[] x, double[] r, Lin first, Lin middle, Lin last, Act relu, Act unused) {
            double[] z1 = NaiveLrp.z(c1, b1, x);
            double[] y1 = NaiveLrp.map(z1, NaiveLrp::pos);
            int[] idx = argmax(y1);
            double[] p = pool(y1, idx);
            double[] z2 = NaiveLrp.z(c2, b2, p);
            double[] y2 = NaiveLrp.map(z2, NaiveLrp::pos);
            double[] rp = middle.apply(c2, b2, p, relu.apply(z2, y2, last.apply(d, bd, y2, r)));
            double[] ry1 = new double[y1.length];
            for (int k = 0; k < idx.length; k++) {
                ry1[idx[k]] += rp[k];
            }
            return first.apply(c1, b1, x, relu.apply(z1, y1, ry1));
        }
    }

    /** A case: the composite and its parameters, and the naive rules it stands for. */
    record Case(String name, String net, RuleSet rules, Composite.Seed seed, Lin first, Lin middle, Lin last,
                Act relu, Act other) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static Case of(String name, String net, RuleSet rules, Lin first, Lin middle, Lin last, Act relu,
                           Act other) {
        Composite.Seed seed = Composites.all().stream().filter(c -> c.ruleSetName().equals(rules.name())).findFirst()
                .orElseThrow().seed();
        return new Case(name, net, rules, seed, first, middle, last, relu, other);
    }

    /** docs/PROPAGATION.md's composite built from scratch. */
    static final Composite ALL_GAMMA = new Composite("all-gamma", "gamma everywhere",
            Map.of(Composite.Parameter.GAMMA, 0.1), Composite.Seed.OUTPUT, List.of(Canonizer.MERGE_BATCH_NORM),
            v -> List.of(
                    RuleSet.Assignment.op("Conv", Rules.GAMMA, Map.of("gamma", v.get(Composite.Parameter.GAMMA))),
                    RuleSet.Assignment.op("Gemm", Rules.GAMMA, Map.of("gamma", v.get(Composite.Parameter.GAMMA))),
                    RuleSet.Assignment.op("Relu", Rules.PASS),
                    RuleSet.Assignment.op("MaxPool", Rules.GRADIENT),
                    RuleSet.Assignment.op("Flatten", Rules.GRADIENT),
                    RuleSet.Assignment.op(Rules.ANY_OP, Rules.REFUSE)));

    /** docs/PROPAGATION.md's extended composite: z+ on the layer producing y, the rest as epsilon-plus-flat. */
    static final Composite MINE = Composites.EPSILON_PLUS_FLAT
            .withFirst(List.of(new RuleSet.Assignment(new RuleSet.Selector.TensorName("y"),
                    Rules.ZPLUS, Map.of("stabilizer", 1e-6))))
            .named("my-composite", "epsilon-plus-flat with z+ on the layer producing y");

    static Stream<Case> cases() {
        Lin eps = epsilon(STAB);
        return Stream.of(
                of("mlp excitation-backprop", "mlp", Fixtures.composite("excitation-backprop"), ZPLUS, ZPLUS, ZPLUS,
                        RELU_GRADIENT, TANH_GRADIENT),
                of("mlp beta-smooth", "mlp", Fixtures.composite("beta-smooth"), GRADIENT, GRADIENT, GRADIENT, SMOOTH,
                        TANH_GRADIENT),
                of("mlp epsilon-alpha2-beta1-flat", "mlp", Fixtures.composite("epsilon-alpha2-beta1-flat"), FLAT, eps,
                        eps, PASS, PASS),
                of("mlp epsilon-alpha2-beta1 beta 2 (no conv: epsilon)", "mlp",
                        Fixtures.composite("epsilon-alpha2-beta1", "beta", 2), eps, eps, eps, PASS, PASS),
                of("mlp epsilon-gamma-box (dense first layer: epsilon)", "mlp",
                        Fixtures.composite("epsilon-gamma-box", "gamma", 0.5, "low", -1, "high", 1), eps, eps, eps,
                        PASS, PASS),
                of("mlp guided-backprop", "mlp", Fixtures.composite("guided-backprop"), GRADIENT, GRADIENT, GRADIENT,
                        (z, y, r) -> each(z, r, (zi, ri) -> zi > 0 && ri > 0 ? ri : 0), TANH_GRADIENT),
                of("cnn excitation-backprop", "cnn", Fixtures.composite("excitation-backprop"), ZPLUS, ZPLUS, ZPLUS,
                        RELU_GRADIENT, null),
                of("cnn beta-smooth", "cnn", Fixtures.composite("beta-smooth"), GRADIENT, GRADIENT, GRADIENT, SMOOTH,
                        null),
                of("cnn epsilon-alpha2-beta1-flat", "cnn", Fixtures.composite("epsilon-alpha2-beta1-flat"), FLAT,
                        alphaBeta(1), eps, PASS, null),
                of("cnn epsilon-alpha2-beta1 beta 2", "cnn", Fixtures.composite("epsilon-alpha2-beta1", "beta", 2),
                        alphaBeta(2), alphaBeta(2), eps, PASS, null),
                of("cnn epsilon-gamma-box gamma 0.5", "cnn",
                        Fixtures.composite("epsilon-gamma-box", "gamma", 0.5, "low", -1, "high", 2), zBox(-1, 2),
                        gamma(0.5), eps, PASS, null),
                of("cnn epsilon-plus-flat epsilon 0.01", "cnn", Fixtures.composite("epsilon-plus-flat", "epsilon", 0.01),
                        FLAT, ZPLUS, epsilon(0.01), PASS, null),
                new Case("cnn all-gamma (built) gamma 0.3", "cnn",
                        ALL_GAMMA.rules(Map.of(Composite.Parameter.GAMMA, 0.3)), Composite.Seed.OUTPUT, gamma(0.3),
                        gamma(0.3), gamma(0.3), PASS, null),
                new Case("cnn my-composite (extended)", "cnn", MINE.rules(), Composite.Seed.OUTPUT, FLAT, ZPLUS,
                        ZPLUS, PASS, null),
                of("cnn deconvolution", "cnn", Fixtures.composite("deconvolution"), GRADIENT, GRADIENT, GRADIENT,
                        (z, y, r) -> NaiveLrp.map(r, NaiveLrp::pos), null));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void composite_matchesTheNaiveLayerByLayerForm(Case k) {
        Random rnd = new Random(3);
        Naive net = k.net().equals("mlp") ? new Mlp(rnd) : new Cnn(rnd);
        ModelProto model = net instanceof Mlp mlp ? mlp.model : ((Cnn) net).model;
        Tensor x = LrpRulesTest.random(rnd, k.net().equals("mlp") ? new int[] {4, 6} : new int[] {3, 2, 6, 6});
        int n = x.dim(0);
        int in = x.exampleSize();
        double[] xs = x.toDoubleArray();
        OnnxDifferentiableModel m = Fixtures.load(model);
        try {
            Tensor out = m.forward(x);
            int classes = out.dim(1);
            int[] targets = new int[n];
            double[] expected = new double[xs.length];
            for (int e = 0; e < n; e++) {
                targets[e] = (e + 1) % classes;
                double[] xe = Arrays.copyOfRange(xs, e * in, (e + 1) * in);
                double[] logits = net.forward(xe);
                assertThat(logits[targets[e]]).as("naive forward vs ONNX Runtime")
                        .isCloseTo(out.getDouble(e * classes + targets[e]), org.assertj.core.data.Offset.offset(1e-4));
                double[] r = new double[classes];
                r[targets[e]] = k.seed() == Composite.Seed.OUTPUT ? logits[targets[e]] : 1;
                double[] re = net.backward(xe, r, k.first(), k.middle(), k.last(), k.relu(), k.other());
                System.arraycopy(re, 0, expected, e * in, in);
            }
            double[] actual = k.seed() == Composite.Seed.OUTPUT ? Fixtures.lrp(m, x, targets, k.rules())
                    : Fixtures.backward(m, x, Fixtures.oneHot(targets, classes, null), out.shape(), k.rules());
            SoftAssertions soft = new SoftAssertions();
            soft.assertThat(Arrays.stream(expected).map(Math::abs).max().orElse(0)).as("%s: non-zero", k)
                    .isGreaterThan(1e-3);
            soft.assertThat(Fixtures.relativeError(actual, expected))
                    .as("%s: max|actual - naive| / max|naive|", k).isLessThanOrEqualTo(TOL);
            soft.assertAll();
        } finally {
            Fixtures.close(m);
        }
    }

    private static double[] each(double[] a, double[] r, java.util.function.DoubleBinaryOperator f) {
        double[] o = new double[r.length];
        for (int i = 0; i < o.length; i++) {
            o[i] = f.applyAsDouble(a[i], r[i]);
        }
        return o;
    }
}
