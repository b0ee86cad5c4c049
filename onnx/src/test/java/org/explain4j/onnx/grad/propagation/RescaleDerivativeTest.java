package org.explain4j.onnx.grad.propagation;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnx.proto.OnnxMl.ModelProto;
import java.util.List;
import java.util.Random;
import java.util.function.DoubleUnaryOperator;
import org.explain4j.core.DType;
import org.explain4j.core.Tensor;
import org.explain4j.core.grad.PropagationRules;
import org.explain4j.onnx.grad.Attr;
import org.explain4j.onnx.grad.OnnxDifferentiableModel;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * DeepLIFT's rescale rule on every elementwise nonlinearity it covers: where the reference equals
 * the input its multiplier is the activation's derivative (checked against the formula in Java),
 * and with another reference it is {@code (f(x) - f(ref)) / (x - ref)}.
 */
class RescaleDerivativeTest {
    private static final double[] SLOPES = {0.1, -0.2, 0.3, 0.5, 2};

    private static ModelProto model(String op, Random rnd) {
        Net n = Net.input(-1, 5).random("W", rnd, -1, 1, 3, 5);
        List<String> in = switch (op) {
            case "Clip" -> {
                n.init("lo", new long[0], 0).init("hi", new long[0], 6);
                yield List.of("x", "lo", "hi");
            }
            case "PRelu" -> {
                n.init("slope", new long[] {5}, SLOPES);
                yield List.of("x", "slope");
            }
            default -> List.of("x");
        };
        String type = op.startsWith("Gelu") ? "Gelu" : op;
        if (op.equals("GeluTanh")) {
            n.node(type, in, "a", Attr.s("approximate", "tanh"));
        } else {
            n.node(type, in, "a");
        }
        return n.node("Gemm", List.of("a", "W"), "y", Attr.i("transB", 1)).build("y", 20);
    }

    private static DoubleUnaryOperator function(String op, int i) {
        double selu = 1.0507009873554805;
        double seluAlpha = 1.6732632423543772;
        return switch (op) {
            case "Clip" -> v -> Math.min(6, Math.max(0, v));
            case "HardSigmoid" -> v -> Math.min(1, Math.max(0, 0.2 * v + 0.5));
            case "HardSwish" -> v -> v * Math.min(1, Math.max(0, v / 6 + 0.5));
            case "Selu" -> v -> v > 0 ? selu * v : selu * seluAlpha * (Math.exp(v) - 1);
            case "Gelu" -> v -> 0.5 * v * (1 + erf(v / Math.sqrt(2)));
            case "GeluTanh" -> v -> 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)));
            case "Erf" -> RescaleDerivativeTest::erf;
            case "Exp" -> Math::exp;
            case "PRelu" -> v -> v > 0 ? v : SLOPES[i] * v;
            case "Elu" -> v -> v > 0 ? v : Math.exp(v) - 1;
            default -> throw new IllegalArgumentException(op);
        };
    }

    /** erf by its Taylor series below 3.5 (error about 1e-13), +-1 beyond (error below 1e-6). */
    static double erf(double v) {
        if (Math.abs(v) >= 3.5) {
            return Math.signum(v);
        }
        double term = v;
        double sum = v;
        for (int n = 1; n < 200; n++) {
            term *= -v * v / n;
            sum += term / (2 * n + 1);
        }
        return 2 / Math.sqrt(Math.PI) * sum;
    }

    /** The derivative by central differences of the double-precision formula (away from kinks). */
    private static double derivative(DoubleUnaryOperator f, double v) {
        double h = 1e-6;
        return (f.applyAsDouble(v + h) - f.applyAsDouble(v - h)) / (2 * h);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"Clip", "HardSigmoid", "HardSwish", "Selu", "Gelu", "GeluTanh", "Erf", "Exp", "PRelu",
            "Elu"})
    void activation_multiplierIsTheDerivativeAtTheInputAndTheSecantElsewhere(String op) {
        Random rnd = new Random(op.hashCode());
        ModelProto model = model(op, rnd);
        // inputs spread over every branch (below, inside and above Clip's, HardSigmoid's and HardSwish's ramps),
        // at least 0.05 away from each kink
        double[] xs = {-7.3, -3.6, -2.4, -0.7, 0.35, 1.2, 2.6, 3.55, 4.4, 7.9};
        double[] refs = {0.4, -1.1, 5.2, -4.5, 2.2, -0.3, 6.8, 1.7, -2.9, 3.3};
        Tensor x = Tensor.ofDoublesAsFloats(xs, 2, 5).to(DType.FLOAT32);
        Tensor ref = Tensor.ofDoublesAsFloats(refs, 2, 5).to(DType.FLOAT32);
        int[] targets = {0, 2};
        OnnxDifferentiableModel m = Fixtures.load(model);
        try {
            double[] seed = new double[4 * 3];
            System.arraycopy(Fixtures.oneHot(targets, 3, null), 0, seed, 0, 6);
            double[] atInput = Fixtures.backward(m, Tensor.concat(List.of(x, x)), seed, new int[] {4, 3},
                    PropagationRules.deepLift());
            double[] secant = Fixtures.backward(m, Tensor.concat(List.of(x, ref)), seed, new int[] {4, 3},
                    PropagationRules.deepLift());
            double[] weights = weights(model);
            for (int n = 0; n < 2; n++) {
                for (int i = 0; i < 5; i++) {
                    DoubleUnaryOperator f = function(op, i);
                    double wi = weights[targets[n] * 5 + i];
                    double v = xs[n * 5 + i];
                    double r = refs[n * 5 + i];
                    assertThat(atInput[n * 5 + i]).as("%s: multiplier at x = %s (reference equal)", op, v)
                            .isCloseTo(derivative(f, v) * wi, org.assertj.core.data.Offset.offset(2e-4));
                    double s = (f.applyAsDouble(v) - f.applyAsDouble(r)) / (v - r);
                    assertThat(secant[n * 5 + i]).as("%s: multiplier at x = %s, reference %s", op, v, r)
                            .isCloseTo(s * wi, org.assertj.core.data.Offset.offset(2e-4 * Math.max(1, Math.abs(s))));
                }
            }
        } finally {
            Fixtures.close(m);
        }
    }

    private static double[] weights(ModelProto model) {
        var t = model.getGraph().getInitializerList().stream().filter(i -> i.getName().equals("W")).findFirst()
                .orElseThrow();
        java.nio.FloatBuffer b = t.getRawData().asReadOnlyByteBuffer().order(java.nio.ByteOrder.LITTLE_ENDIAN)
                .asFloatBuffer();
        double[] w = new double[b.remaining()];
        for (int i = 0; i < w.length; i++) {
            w[i] = b.get(i);
        }
        return w;
    }
}
