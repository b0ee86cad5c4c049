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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Element-wise rules against finite differences. */
class UnaryRulesTest {

    static Stream<Arguments> ops() {
        return Stream.of(
                Arguments.of("Relu", DOUBLE, -1.0, 1.0, List.of()),
                Arguments.of("LeakyRelu", FLOAT, -1.0, 1.0, List.of(Attr.f("alpha", 0.2f))),
                Arguments.of("Elu", FLOAT, -2.0, 2.0, List.of(Attr.f("alpha", 0.7f))),
                Arguments.of("Elu", FLOAT, -2.0, 2.0, List.of()),
                Arguments.of("Sigmoid", DOUBLE, -2.0, 2.0, List.of()),
                Arguments.of("Tanh", DOUBLE, -2.0, 2.0, List.of()),
                Arguments.of("Exp", DOUBLE, -1.0, 1.0, List.of()),
                Arguments.of("Log", DOUBLE, 0.5, 2.0, List.of()),
                Arguments.of("Sqrt", DOUBLE, 0.5, 2.0, List.of()),
                Arguments.of("Erf", FLOAT, -1.5, 1.5, List.of()),
                Arguments.of("Neg", DOUBLE, -1.0, 1.0, List.of()),
                Arguments.of("Abs", DOUBLE, -1.0, 1.0, List.of()),
                Arguments.of("Reciprocal", DOUBLE, 0.5, 2.0, List.of()),
                Arguments.of("Softplus", FLOAT, -2.0, 2.0, List.of()),
                Arguments.of("Identity", DOUBLE, -1.0, 1.0, List.of()),
                Arguments.of("Dropout", DOUBLE, -1.0, 1.0, List.of()),
                Arguments.of("Softmax", DOUBLE, -2.0, 2.0, List.of(Attr.i("axis", 1))),
                Arguments.of("Softmax", DOUBLE, -2.0, 2.0, List.of()),
                Arguments.of("LogSoftmax", DOUBLE, -2.0, 2.0, List.of(Attr.i("axis", 1))),
                Arguments.of("LogSoftmax", DOUBLE, -2.0, 2.0, List.of(Attr.i("axis", -1))));
    }

    @ParameterizedTest(name = "{0} {1} opset 17")
    @MethodSource("ops")
    void matchesFiniteDifferences(String op, int type, double lo, double hi, List<AttributeProto> attrs) {
        check(17, op, type, lo, hi, attrs);
    }

    @ParameterizedTest(name = "{0} {1} opset 11")
    @MethodSource("ops")
    void matchesFiniteDifferencesAtOpset11(String op, int type, double lo, double hi, List<AttributeProto> attrs) {
        check(11, op, type, lo, hi, attrs);
    }

    private static void check(int opset, String op, int type, double lo, double hi, List<AttributeProto> attrs) {
        ModelProto m = TestModels.unary(opset, op, type, new long[] {2, 3, 4}, attrs.toArray(new AttributeProto[0]));
        DType dtype = type == FLOAT ? DType.FLOAT32 : DType.FLOAT64;
        Tensor x = GradCheck.random(new Random(op.hashCode()), dtype, lo, hi, 2, 3, 4);
        double h = dtype == DType.FLOAT32 ? 1e-2 : 1e-6;
        double tol = dtype == DType.FLOAT32 ? 2e-3 : 1e-6;
        GradCheck.checkInputGradient(m, x, h, tol);
    }
}
