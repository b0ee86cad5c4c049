package org.explain4j.onnx.grad.propagation;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnx.proto.OnnxMl.ModelProto;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.assertj.core.api.SoftAssertions;
import org.explain4j.core.DType;
import org.explain4j.core.Tensor;
import org.explain4j.core.grad.RuleSet;
import org.explain4j.onnx.OnnxModel;
import org.explain4j.onnx.grad.Attr;
import org.explain4j.onnx.grad.OnnxDifferentiableModel;
import org.explain4j.onnx.grad.RuleRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Each LRP layer rule on a single dense or conv layer against the naive matrix form. */
class LrpRulesTest {
    private static final double TOL = 2e-4;
    /** The rules, and variants with other parameters ("rule variant"). */
    private static final List<String> RULES = List.of("epsilon", "zero", "gamma", "gamma 0.7", "gamma 0", "zplus",
            "alpha-beta", "alpha-beta 3 2", "alpha-beta 1 0", "flat", "w-square", "zbox");

    /**
     * One layer: the model, its input shape, and per example the matrix {@code a}, the bias
     * {@code b}, and the ones-structure of its weights (for the flat rule).
     */
    record Layer(String name, String op, ModelProto model, int[] x, double[][] a, double[] b, double[][] ones) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Layer> layers() {
        Random rnd = new Random(5);
        Net gemm = Net.input(-1, 6).random("W", rnd, -1, 1, 5, 6).init("C", new long[] {5}, 0.4, -0.3, 0.2, -0.5, 0.1)
                .node("Gemm", List.of("x", "W", "C"), "y", Attr.i("transB", 1));
        Net scaled = Net.input(-1, 4).random("W", rnd, -1, 1, 4, 3).random("C", rnd, -0.5, 0.5, 1, 3)
                .node("Gemm", List.of("x", "W", "C"), "y", Attr.f("alpha", 0.7f), Attr.f("beta", 1.3f));
        Net matmul = Net.input(-1, 6).random("W", rnd, -1, 1, 6, 4).node("MatMul", List.of("x", "W"), "y");
        Net conv = Net.input(-1, 3, 7, 6).random("W", rnd, -1, 1, 4, 3, 3, 3).random("B", rnd, -0.5, 0.5, 4)
                .node("Conv", List.of("x", "W", "B"), "y", Attr.ints("strides", 2, 1), Attr.ints("pads", 1, 0, 2, 1));
        Net grouped = Net.input(-1, 4, 6, 6).random("W", rnd, -1, 1, 6, 2, 3, 3).random("B", rnd, -0.5, 0.5, 6)
                .node("Conv", List.of("x", "W", "B"), "y", Attr.ints("strides", 2, 2), Attr.ints("pads", 1, 1, 1, 1),
                        Attr.ints("dilations", 2, 1), Attr.i("group", 2));
        double[] c2 = NaiveLrp.scale(scaled.values("C"), 1.3);
        return Stream.of(
                new Layer("Gemm transB=1 with bias", "Gemm", gemm.build("y"), new int[] {3, 6},
                        NaiveLrp.dense(gemm.values("W"), 5, 6, true, 1), gemm.values("C"), ones(5, 6)),
                new Layer("Gemm transB=0 alpha beta", "Gemm", scaled.build("y"), new int[] {2, 4},
                        NaiveLrp.dense(scaled.values("W"), 3, 4, false, 0.7), new double[] {c2[0], c2[1], c2[2]},
                        ones(3, 4)),
                new Layer("MatMul constant weight", "MatMul", matmul.build("y"), new int[] {2, 6},
                        NaiveLrp.dense(matmul.values("W"), 4, 6, false, 1), null, ones(4, 6)),
                new Layer("Conv stride pad bias", "Conv", conv.build("y"), new int[] {2, 3, 7, 6},
                        NaiveLrp.conv(conv.values("W"), 3, 7, 6, 4, 3, 3, new int[] {2, 1}, new int[] {1, 0, 2, 1},
                                new int[] {1, 1}, 1), NaiveLrp.channelBias(conv.values("B"), 4 * 5),
                        NaiveLrp.conv(filled(4 * 3 * 9), 3, 7, 6, 4, 3, 3, new int[] {2, 1}, new int[] {1, 0, 2, 1},
                                new int[] {1, 1}, 1)),
                new Layer("Conv grouped dilated", "Conv", grouped.build("y"), new int[] {2, 4, 6, 6},
                        NaiveLrp.conv(grouped.values("W"), 4, 6, 6, 6, 3, 3, new int[] {2, 2}, new int[] {1, 1, 1, 1},
                                new int[] {2, 1}, 2), NaiveLrp.channelBias(grouped.values("B"), 2 * 3),
                        NaiveLrp.conv(filled(6 * 2 * 9), 4, 6, 6, 6, 3, 3, new int[] {2, 2}, new int[] {1, 1, 1, 1},
                                new int[] {2, 1}, 2)));
    }

    private static Map<String, Double> params(String rule) {
        return switch (rule) {
            case "epsilon" -> Map.of("epsilon", 0.01);
            case "zero" -> Map.of();
            case "gamma" -> Map.of("gamma", 0.25, "epsilon", 1e-4);
            case "gamma 0.7" -> Map.of("gamma", 0.7, "epsilon", 1e-4);
            case "gamma 0" -> Map.of("gamma", 0.0, "epsilon", 1e-4);
            case "alpha-beta" -> Map.of("alpha", 2.0, "beta", 1.0, "epsilon", 1e-4);
            case "alpha-beta 3 2" -> Map.of("alpha", 3.0, "beta", 2.0, "epsilon", 1e-4);
            case "alpha-beta 1 0" -> Map.of("alpha", 1.0, "beta", 0.0, "epsilon", 1e-4);
            case "zbox" -> Map.of("low", -1.0, "high", 1.0, "epsilon", 1e-4);
            default -> Map.of("epsilon", 1e-4);
        };
    }

    private static double[] naive(String rule, Layer l, double[] x, double[] rel) {
        double[] low = new double[x.length];
        double[] high = new double[x.length];
        Arrays.fill(low, -1);
        Arrays.fill(high, 1);
        return switch (rule) {
            case "epsilon" -> NaiveLrp.epsilon(l.a(), l.b(), x, rel, 0.01);
            case "zero" -> NaiveLrp.epsilon(l.a(), l.b(), x, rel, 0);
            case "gamma" -> NaiveLrp.gamma(l.a(), l.b(), x, rel, 0.25, 1e-4);
            case "gamma 0.7" -> NaiveLrp.gamma(l.a(), l.b(), x, rel, 0.7, 1e-4);
            case "gamma 0" -> NaiveLrp.gamma(l.a(), l.b(), x, rel, 0, 1e-4);
            case "zplus" -> NaiveLrp.zPlus(l.a(), l.b(), x, rel, 1e-4);
            case "alpha-beta" -> NaiveLrp.alphaBeta(l.a(), l.b(), x, rel, 2, 1, 1e-4);
            case "alpha-beta 3 2" -> NaiveLrp.alphaBeta(l.a(), l.b(), x, rel, 3, 2, 1e-4);
            case "alpha-beta 1 0" -> NaiveLrp.alphaBeta(l.a(), l.b(), x, rel, 1, 0, 1e-4);
            case "flat" -> NaiveLrp.onesInput(l.ones(), null, rel, 1e-4);
            case "w-square" -> NaiveLrp.onesInput(NaiveLrp.map(l.a(), v -> v * v),
                    NaiveLrp.map(l.b(), v -> v * v), rel, 1e-4);
            case "zbox" -> NaiveLrp.zBox(l.a(), x, low, high, rel, 1e-4);
            default -> throw new IllegalArgumentException(rule);
        };
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("layers")
    void everyRule_matchesTheNaiveMatrixForm(Layer l) {
        Random rnd = new Random(17);
        Tensor x = random(rnd, l.x());
        SoftAssertions soft = new SoftAssertions();
        OnnxDifferentiableModel m = Fixtures.load(l.model());
        try {
            Tensor out = m.forward(x);
            for (String rule : RULES) {
                double[] rel = random(rnd, out.shape()).toDoubleArray();
                RuleSet rs = new RuleSet("test-" + rule, List.of(new RuleSet.Assignment(
                        new RuleSet.Selector.OpType(l.op()), rule.split(" ")[0], params(rule))));
                double[] actual = Fixtures.backward(m, x, rel, out.shape(), rs);
                double[] expected = perExample(l, x, rel, (xn, rn) -> naive(rule, l, xn, rn));
                soft.assertThat(Fixtures.relativeError(actual, expected))
                        .as("%s with rule %s: max|actual - naive| / max|naive|", l, rule).isLessThanOrEqualTo(TOL);
            }
        } finally {
            Fixtures.close(m);
        }
        soft.assertAll();
    }

    @Test
    void alphaBetaWithAlphaMinusBetaNotOne_isRefusedNamingBoth() {
        Layer l = layers().findFirst().orElseThrow();
        OnnxDifferentiableModel m = Fixtures.load(l.model());
        try {
            Tensor x = random(new Random(2), l.x());
            RuleSet rs = new RuleSet("ab", List.of(new RuleSet.Assignment(new RuleSet.Selector.OpType(l.op()),
                    "alpha-beta", Map.of("alpha", 2.0, "beta", 2.0))));
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> Fixtures.backward(m, x, new double[15],
                    new int[] {3, 5}, rs)).isInstanceOf(org.explain4j.core.Explain4jException.class)
                    .hasMessageContaining("alpha - beta = 1 (got alpha 2.0 and beta 2.0)");
        } finally {
            Fixtures.close(m);
        }
    }

    @Test
    void zBoxWithPerChannelBounds_matchesTheNaiveMatrixForm() {
        Random rnd = new Random(23);
        Layer l = layers().filter(layer -> layer.name().startsWith("Conv stride")).findFirst().orElseThrow();
        double[] lowC = {-1, -0.5, -2};
        double[] highC = {1, 0.5, 2};
        Tensor low = Tensor.ofDoublesAsFloats(lowC, 1, 3, 1, 1);
        Tensor high = Tensor.ofDoublesAsFloats(highC, 1, 3, 1, 1);
        RuleRegistry registry = PropagationRegistry.withBoxBounds(PropagationRegistry.standard(), low, high);
        Tensor x = random(rnd, l.x());
        try (OnnxModel onnx = OnnxModel.load(temp(l.model()));
             OnnxDifferentiableModel m = new OnnxDifferentiableModel(onnx, registry)) {
            Tensor out = m.forward(x);
            double[] rel = random(rnd, out.shape()).toDoubleArray();
            RuleSet rs = new RuleSet("zbox", List.of(new RuleSet.Assignment(new RuleSet.Selector.OpType("Conv"), "zbox",
                    Map.of("epsilon", 1e-4))));
            double[] actual = Fixtures.backward(m, x, rel, out.shape(), rs);
            int perChannel = 7 * 6;
            double[] lo = new double[3 * perChannel];
            double[] hi = new double[3 * perChannel];
            for (int i = 0; i < lo.length; i++) {
                lo[i] = lowC[i / perChannel];
                hi[i] = highC[i / perChannel];
            }
            double[] expected = perExample(l, x, rel, (xn, rn) -> NaiveLrp.zBox(l.a(), xn, lo, hi, rn, 1e-4));
            assertThat(Fixtures.relativeError(actual, expected)).as("per-channel zbox against the naive form")
                    .isLessThanOrEqualTo(TOL);
        }
    }

    /** Applies a one-example rule to every example of the batch. */
    static double[] perExample(Layer l, Tensor x, double[] rel, java.util.function.BinaryOperator<double[]> rule) {
        int n = x.dim(0);
        int in = x.exampleSize();
        int out = rel.length / n;
        double[] xs = x.toDoubleArray();
        double[] r = new double[xs.length];
        for (int e = 0; e < n; e++) {
            double[] got = rule.apply(Arrays.copyOfRange(xs, e * in, (e + 1) * in),
                    Arrays.copyOfRange(rel, e * out, (e + 1) * out));
            System.arraycopy(got, 0, r, e * in, in);
        }
        return r;
    }

    static Tensor random(Random rnd, int... shape) {
        double[] v = new double[(int) Tensor.sizeOf(shape)];
        for (int i = 0; i < v.length; i++) {
            v[i] = 2 * rnd.nextDouble() - 1;
        }
        return Tensor.ofDoublesAsFloats(v, shape).to(DType.FLOAT32);
    }

    private static double[][] ones(int m, int k) {
        double[][] a = new double[m][k];
        for (double[] row : a) {
            Arrays.fill(row, 1);
        }
        return a;
    }

    private static double[] filled(int n) {
        double[] v = new double[n];
        Arrays.fill(v, 1);
        return v;
    }

    private static java.nio.file.Path temp(ModelProto model) {
        try {
            java.nio.file.Path f = java.nio.file.Files.createTempFile("explain4j-zbox", ".onnx");
            f.toFile().deleteOnExit();
            java.nio.file.Files.write(f, model.toByteArray());
            return f;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
