package org.explain4j.onnx.grad;

import static org.explain4j.onnx.grad.TestModels.DOUBLE;
import static org.explain4j.onnx.grad.TestModels.FLOAT;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.explain4j.core.DType;
import org.explain4j.core.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The activations of exported models (HardSwish, Gelu, Mish, ...) and element-wise Max/Min against finite differences. */
class ActivationOpsRulesTest {

    static Stream<Arguments> ops() {
        return Stream.of(
                Arguments.of("HardSigmoid", 11, FLOAT, -4.0, 4.0, List.of()),
                Arguments.of("HardSigmoid", 11, FLOAT, -4.0, 4.0, List.of(Attr.f("alpha", 0.3f), Attr.f("beta", 0.4f))),
                Arguments.of("HardSwish", 14, FLOAT, -4.5, 4.5, List.of()),
                Arguments.of("Selu", 11, FLOAT, -2.0, 2.0, List.of()),
                Arguments.of("Selu", 11, FLOAT, -2.0, 2.0, List.of(Attr.f("alpha", 1.2f), Attr.f("gamma", 0.8f))),
                Arguments.of("Celu", 12, FLOAT, -2.0, 2.0, List.of(Attr.f("alpha", 0.6f))),
                Arguments.of("Gelu", 20, FLOAT, -3.0, 3.0, List.of()),
                Arguments.of("Gelu", 20, FLOAT, -3.0, 3.0, List.of(Attr.s("approximate", "tanh"))),
                Arguments.of("Mish", 18, FLOAT, -3.0, 3.0, List.of()),
                Arguments.of("Softsign", 11, FLOAT, -3.0, 3.0, List.of()),
                Arguments.of("ThresholdedRelu", 11, FLOAT, -1.0, 2.0, List.of(Attr.f("alpha", 0.5f))),
                Arguments.of("ThresholdedRelu", 11, FLOAT, -1.0, 3.0, List.of()),
                Arguments.of("Sin", 11, DOUBLE, -3.0, 3.0, List.of()),
                Arguments.of("Cos", 11, DOUBLE, -3.0, 3.0, List.of()));
    }

    @ParameterizedTest(name = "{0} opset {1} {5}")
    @MethodSource("ops")
    void activation_matchesFiniteDifferences(String op, int opset, int type, double lo, double hi,
                                             List<AttributeProto> attrs) {
        // Tanh after the op, so that the gradient reaching it is not the seed alone
        ModelProto m = TestModels.opset(opset).input("x", type, 2, 3, 5)
                .node(op, List.of("x"), List.of("a"), attrs.toArray(new AttributeProto[0]))
                .node("Tanh", "a", "y").output("y", type).build();
        DType dtype = type == FLOAT ? DType.FLOAT32 : DType.FLOAT64;
        Tensor x = GradCheck.random(new Random(op.hashCode() + attrs.size()), dtype, lo, hi, 2, 3, 5);
        GradCheck.checkInputGradient(m, x, dtype == DType.FLOAT32 ? 1e-3 : 1e-6, dtype == DType.FLOAT32 ? 3e-3 : 1e-6);
    }

    @Test
    void maxAndMinOfSeveralBroadcastInputs_matchFiniteDifferences() {
        Random rnd = new Random(3);
        for (String op : new String[] {"Max", "Min"}) {
            ModelProto m = TestModels.opset(13).input("x", DOUBLE, 2, 3, 4)
                    .random("a", DOUBLE, rnd, -1, 1, 3, 1)
                    .node("Neg", "x", "nx")
                    .node("Exp", "x", "ex")
                    .node(op, List.of("x", "a", "nx", "ex"), List.of("m"))
                    .node("Tanh", "m", "y").output("y", DOUBLE).build();
            GradCheck.checkInputGradient(m, GradCheck.random(rnd, DType.FLOAT64, -1, 1, 2, 3, 4), 1e-6, 1e-6);
        }
    }

    @Test
    void maxOfATensorWithItself_splitsTheGradientBetweenTheTies() {
        // max(x, x, x) = x: each of the three tied inputs gets a third, so the sum is g (all three would give 3g)
        ModelProto m = TestModels.opset(13).input("x", DOUBLE, 2, 3)
                .node("Max", List.of("x", "x", "x"), List.of("m"))
                .node("Min", List.of("m", "m"), List.of("n"))
                .node("Tanh", "n", "y").output("y", DOUBLE).build();
        GradCheck.checkInputGradient(m, GradCheck.random(new Random(4), DType.FLOAT64, -1, 1, 2, 3), 1e-6, 1e-6);
    }
}
