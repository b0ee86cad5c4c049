package org.explain4j.onnx.grad;

import static org.explain4j.onnx.grad.TestModels.DOUBLE;
import static org.explain4j.onnx.grad.TestModels.FLOAT;

import ai.onnx.proto.OnnxMl.ModelProto;
import java.util.List;
import java.util.Random;
import org.explain4j.core.DType;
import org.explain4j.core.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Broadcasting binary ops, MatMul and Gemm in float64 against finite differences. */
class BinaryRulesTest {
    private static final double H = 1e-6;
    private static final double TOL = 1e-6;
    private final Random rnd = new Random(3);

    private Tensor x(double lo, double hi, int... shape) {
        return GradCheck.random(rnd, DType.FLOAT64, lo, hi, shape);
    }

    @ParameterizedTest(name = "{0}(x, W) and {0}(W, x) with broadcasting")
    @ValueSource(strings = {"Add", "Sub", "Mul", "Div"})
    void broadcastingAgainstAConstant(String op) {
        // x [2,1,4] against W [3,1] -> [2,3,4]: the gradient of x sums over axis 1
        ModelProto left = TestModels.opset(17).input("x", DOUBLE, -1, 1, 4)
                .random("W", DOUBLE, rnd, 0.5, 2, 3, 1)
                .node(op, List.of("x", "W"), List.of("y")).output("y", DOUBLE).build();
        GradCheck.checkInputGradient(left, x(0.5, 2, 2, 1, 4), H, TOL);
        // W [3,2,1,4] against x [2,5,1]: x is broadcast over a new leading axis and its last one
        ModelProto right = TestModels.opset(17).input("x", DOUBLE, 2, 5, 1)
                .random("W", DOUBLE, rnd, 0.5, 2, 3, 2, 1, 4)
                .node(op, List.of("W", "x"), List.of("y")).output("y", DOUBLE).build();
        GradCheck.checkInputGradient(right, x(0.5, 2, 2, 5, 1), H, TOL);
    }

    @ParameterizedTest(name = "{0}(x, reducesum(x)): both operands need a gradient")
    @ValueSource(strings = {"Add", "Sub", "Mul", "Div"})
    void bothOperandsFromTheInput(String op) {
        ModelProto m = TestModels.opset(13).input("x", DOUBLE, 2, 3, 4)
                .longs("axes", new long[] {1}, 2)
                .node("ReduceSum", List.of("x", "axes"), List.of("s"))
                .node(op, List.of("x", "s"), List.of("y")).output("y", DOUBLE).build();
        GradCheck.checkInputGradient(m, x(0.5, 2, 2, 3, 4), H, TOL);
    }

    @Test
    void multipleConsumersAccumulate() {
        // y = x * exp(x) + tanh(x) - x: x feeds four nodes (x * sigmoid(x) would be fused by ONNX Runtime)
        ModelProto m = TestModels.opset(17).input("x", DOUBLE, 3, 4)
                .node("Exp", "x", "s").node("Mul", List.of("x", "s"), List.of("a"))
                .node("Tanh", "x", "t").node("Add", List.of("a", "t"), List.of("b"))
                .node("Sub", List.of("b", "x"), List.of("y")).output("y", DOUBLE).build();
        GradCheck.checkInputGradient(m, x(-2, 2, 3, 4), H, TOL);
    }

    @Test
    void sumWhereAndExpand() {
        ModelProto m = TestModels.opset(17).input("x", DOUBLE, 2, 1, 3)
                .longs("shape", null, 2, 4, 3)
                .node("Expand", List.of("x", "shape"), List.of("e"))
                .random("zero", DOUBLE, rnd, 0, 0, 1)
                .node("Greater", List.of("e", "zero"), List.of("c"))
                .node("Exp", "e", "ex")
                .node("Where", List.of("c", "ex", "x"), List.of("w"))
                .node("Sum", List.of("w", "x", "e"), List.of("y")).output("y", DOUBLE).build();
        GradCheck.checkInputGradient(m, x(-1, 1, 2, 1, 3), H, TOL);
    }

    @Test
    void powWithAConstantExponent() {
        ModelProto m = TestModels.opset(17).input("x", DOUBLE, 2, 3)
                .random("e", DOUBLE, rnd, 0.5, 3, 3)
                .node("Pow", List.of("x", "e"), List.of("y")).output("y", DOUBLE).build();
        GradCheck.checkInputGradient(m, x(0.5, 2, 2, 3), H, TOL);
        ModelProto scalar = TestModels.opset(13).input("x", FLOAT, 2, 3)
                .init("e", FLOAT, new long[0], 2)
                .node("Pow", List.of("x", "e"), List.of("y")).output("y", FLOAT).build();
        GradCheck.checkInputGradient(scalar, GradCheck.random(rnd, DType.FLOAT32, -2, 2, 2, 3), 1e-2, 1e-3);
    }

    @Test
    void clipBetweenBounds() {
        ModelProto m = TestModels.opset(13).input("x", DOUBLE, 4, 5)
                .init("lo", DOUBLE, new long[0], -0.5).init("hi", DOUBLE, new long[0], 0.7)
                .node("Clip", List.of("x", "lo", "hi"), List.of("y")).output("y", DOUBLE).build();
        GradCheck.checkInputGradient(m, x(-1.5, 1.5, 4, 5), H, TOL);
        ModelProto upper = TestModels.opset(11).input("x", FLOAT, 4, 5)
                .init("hi", FLOAT, new long[0], 0.3)
                .node("Clip", List.of("x", "", "hi"), List.of("y")).output("y", FLOAT).build();
        GradCheck.checkInputGradient(upper, GradCheck.random(rnd, DType.FLOAT32, -1, 1, 4, 5), 1e-3, 1e-3);
    }

    @Test
    void castBetweenFloatTypesAndConstants() {
        ModelProto m = TestModels.opset(17).input("x", DOUBLE, 2, 3)
                .node("Cast", List.of("x"), List.of("f"), Attr.i("to", FLOAT))
                .node("Constant", List.of(), List.of("k"), Attr.t("value",
                        TensorProtos.floats("", FLOAT, new long[] {3}, 1.5, -2, 0.5)))
                .node("Mul", List.of("f", "k"), List.of("m"))
                .node("Cast", List.of("m"), List.of("y"), Attr.i("to", DOUBLE)).output("y", DOUBLE).build();
        GradCheck.checkInputGradient(m, x(-1, 1, 2, 3), 1e-3, 1e-4);
    }

    @Test
    void matMulPlainBatchedAndBroadcast() {
        ModelProto plain = TestModels.opset(17).input("x", DOUBLE, 3, 4).random("W", DOUBLE, rnd, -1, 1, 4, 5)
                .node("MatMul", List.of("x", "W"), List.of("y")).output("y", DOUBLE).build();
        GradCheck.checkInputGradient(plain, x(-1, 1, 3, 4), H, TOL);
        // A [2,1,3,4] @ B [5,4,2]: A's axis 1 is broadcast to 5
        ModelProto batched = TestModels.opset(13).input("x", DOUBLE, 2, 1, 3, 4)
                .random("W", DOUBLE, rnd, -1, 1, 5, 4, 2)
                .node("MatMul", List.of("x", "W"), List.of("y")).output("y", DOUBLE).build();
        GradCheck.checkInputGradient(batched, x(-1, 1, 2, 1, 3, 4), H, TOL);
        // W [5,3] @ x [2,3,4]: x is the right operand, W broadcast over x's batch
        ModelProto right = TestModels.opset(13).input("x", DOUBLE, 2, 3, 4)
                .random("W", DOUBLE, rnd, -1, 1, 5, 3)
                .node("MatMul", List.of("W", "x"), List.of("y")).output("y", DOUBLE).build();
        GradCheck.checkInputGradient(right, x(-1, 1, 2, 3, 4), H, TOL);
    }

    @Test
    void matMulWithVectors() {
        ModelProto vecRight = TestModels.opset(13).input("x", DOUBLE, 2, 3, 4).random("w", DOUBLE, rnd, -1, 1, 4)
                .node("MatMul", List.of("x", "w"), List.of("y")).output("y", DOUBLE).build();
        GradCheck.checkInputGradient(vecRight, x(-1, 1, 2, 3, 4), H, TOL);
        ModelProto vecLeft = TestModels.opset(13).input("x", DOUBLE, 2, 3, 4).random("w", DOUBLE, rnd, -1, 1, 3)
                .node("MatMul", List.of("w", "x"), List.of("y")).output("y", DOUBLE).build();
        GradCheck.checkInputGradient(vecLeft, x(-1, 1, 2, 3, 4), H, TOL);
        ModelProto self = TestModels.opset(13).input("x", DOUBLE, 3, 4)
                .node("Transpose", List.of("x"), List.of("t"), Attr.ints("perm", 1, 0))
                .node("MatMul", List.of("x", "t"), List.of("y")).output("y", DOUBLE).build();
        GradCheck.checkInputGradient(self, x(-1, 1, 3, 4), H, TOL);
    }

    @ParameterizedTest(name = "Gemm transA={0} transB={1}")
    @ValueSource(ints = {0, 1, 2, 3})
    void gemmEveryTransposeWithAlphaBeta(int flags) {
        long ta = flags & 1;
        long tb = (flags >> 1) & 1;
        // x as A (shape [M,K] or [K,M]) with W as B
        ModelProto a = TestModels.opset(13).input("x", DOUBLE, ta == 0 ? 3 : 4, ta == 0 ? 4 : 3)
                .random("W", DOUBLE, rnd, -1, 1, tb == 0 ? 4 : 5, tb == 0 ? 5 : 4)
                .random("C", DOUBLE, rnd, -1, 1, 5)
                .node("Gemm", List.of("x", "W", "C"), List.of("y"), Attr.f("alpha", 0.7f), Attr.f("beta", 0.3f),
                        Attr.i("transA", ta), Attr.i("transB", tb))
                .output("y", DOUBLE).build();
        GradCheck.checkInputGradient(a, x(-1, 1, ta == 0 ? 3 : 4, ta == 0 ? 4 : 3), H, TOL);
        // x as B, and as C through a Relu
        ModelProto b = TestModels.opset(13).input("x", DOUBLE, tb == 0 ? 4 : 5, tb == 0 ? 5 : 4)
                .random("W", DOUBLE, rnd, -1, 1, ta == 0 ? 3 : 4, ta == 0 ? 4 : 3)
                .node("ReduceSum", List.of("x"), List.of("c"), Attr.i("keepdims", 0))
                .node("Gemm", List.of("W", "x", "c"), List.of("y"), Attr.f("alpha", 1.3f), Attr.f("beta", -0.4f),
                        Attr.i("transA", ta), Attr.i("transB", tb))
                .output("y", DOUBLE).build();
        GradCheck.checkInputGradient(b, x(-1, 1, tb == 0 ? 4 : 5, tb == 0 ? 5 : 4), H, TOL);
    }
}
