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

/** Shape-moving ops, reductions and normalisations against finite differences. */
class ShapeRulesTest {
    private static final double H = 1e-6;
    private static final double TOL = 1e-6;
    private final Random rnd = new Random(23);

    private Tensor x(int... shape) {
        return GradCheck.random(rnd, DType.FLOAT64, -1, 1, shape);
    }

    /** A model ending in a Tanh, so that the gradient reaching the op under test is not constant. */
    private static TestModels tanhOf(TestModels m, String from) {
        return m.node("Tanh", from, "y").output("y", DOUBLE);
    }

    @Test
    void flattenReshapeWithAComputedShapeAndTranspose() {
        // the Reshape's shape comes from Shape/Gather/Concat: an integer path with no gradient
        ModelProto m = tanhOf(TestModels.opset(13).input("x", DOUBLE, 2, 3, 4)
                .node("Flatten", List.of("x"), List.of("f"), Attr.i("axis", 2))
                .node("Shape", "x", "s").longs("i0", new long[0], 0)
                .node("Gather", List.of("s", "i0"), List.of("n"), Attr.i("axis", 0))
                .node("Unsqueeze", List.of("n", "zero"), List.of("n1")).longs("zero", null, 0)
                .longs("rest", null, 4, -1)
                .node("Concat", List.of("n1", "rest"), List.of("shape"), Attr.i("axis", 0))
                .node("Reshape", List.of("f", "shape"), List.of("r"))
                .node("Transpose", List.of("r"), List.of("t"), Attr.ints("perm", 1, 2, 0)), "t").build();
        GradCheck.checkInputGradient(m, x(2, 3, 4), H, TOL);
    }

    @ParameterizedTest(name = "Gather of the input with a scalar index {0} on axis 1 (a class token, x[:, 0])")
    @ValueSource(ints = {0, 2, -1})
    void gatherWithAScalarIndexOnAnInnerAxis(int index) {
        ModelProto m = tanhOf(TestModels.opset(13).input("x", DOUBLE, 2, 3, 4).longs("i", new long[0], index)
                .node("Gather", List.of("x", "i"), List.of("g"), Attr.i("axis", 1)), "g").build();
        GradCheck.checkInputGradient(m, x(2, 3, 4), H, TOL);
    }

    @Test
    void gatherOfAClassTokenIntoAHead_float32() {
        // a ViT's pooling: LayerNorm, x[:, 0] (Gather with a scalar index on axis 1), a linear head
        Random r = new Random(3);
        ModelProto m = TestModels.opset(17).input("x", FLOAT, 2, 10, 24)
                .random("w", FLOAT, r, -1, 1, 5, 24).random("b", FLOAT, r, -1, 1, 5)
                .longs("i", new long[0], 0)
                .node("Gather", List.of("x", "i"), List.of("g"), Attr.i("axis", 1))
                .node("Gemm", List.of("g", "w", "b"), List.of("y"), Attr.i("transB", 1)).output("y", FLOAT).build();
        GradCheck.checkInputGradient(m, GradCheck.random(rnd, DType.FLOAT32, -1, 1, 2, 10, 24), 1e-2, 1e-3);
    }

    @Test
    void gatherWithIndexRowsOnAnInnerAxis() {
        ModelProto m = tanhOf(TestModels.opset(13).input("x", DOUBLE, 2, 3, 4).longs("i", new long[] {2, 2}, 0, 2, 2, 1)
                .node("Gather", List.of("x", "i"), List.of("g"), Attr.i("axis", 1)), "g").build();
        GradCheck.checkInputGradient(m, x(2, 3, 4), H, TOL);
    }

    @ParameterizedTest(name = "Squeeze/Unsqueeze at opset {0}")
    @ValueSource(ints = {11, 13})
    void squeezeAndUnsqueezeInBothForms(int opset) {
        TestModels b = TestModels.opset(opset).input("x", DOUBLE, 2, 1, 3);
        if (opset < 13) {
            b.node("Squeeze", List.of("x"), List.of("s"), Attr.ints("axes", 1))
                    .node("Unsqueeze", List.of("s"), List.of("u"), Attr.ints("axes", 0, 3));
        } else {
            b.longs("a1", null, 1).longs("a2", null, 0, 3)
                    .node("Squeeze", List.of("x", "a1"), List.of("s"))
                    .node("Unsqueeze", List.of("s", "a2"), List.of("u"));
        }
        GradCheck.checkInputGradient(tanhOf(b, "u").build(), x(2, 1, 3), H, TOL);
    }

    @Test
    void concatOfTheInputWithItself() {
        ModelProto m = tanhOf(TestModels.opset(13).input("x", DOUBLE, 2, 3)
                .node("Exp", "x", "e").random("k", DOUBLE, rnd, -1, 1, 2, 2)
                .node("Concat", List.of("x", "k", "e", "x"), List.of("c"), Attr.i("axis", -1)), "c").build();
        GradCheck.checkInputGradient(m, x(2, 3), H, TOL);
    }

    @ParameterizedTest(name = "Split at opset {0}, one output unused")
    @ValueSource(ints = {11, 13, 18})
    void splitWithAnUnusedOutput(int opset) {
        TestModels b = TestModels.opset(opset).input("x", DOUBLE, 2, 7);
        List<String> outs = List.of("a", "b", "c");
        if (opset < 13) {
            b.node("Split", List.of("x"), outs, Attr.i("axis", 1), Attr.ints("split", 2, 4, 1));
        } else if (opset < 18) {
            b.longs("sizes", null, 2, 4, 1).node("Split", List.of("x", "sizes"), outs, Attr.i("axis", 1));
        } else {
            b.node("Split", List.of("x"), outs, Attr.i("axis", 1), Attr.i("num_outputs", 3));
        }
        b.node("Mul", List.of("a", "a"), List.of("a2")).node("ReduceSum", List.of("c"), List.of("cs"),
                Attr.i("keepdims", 1));
        b.node("Mul", List.of("a2", "cs"), List.of("m"));
        GradCheck.checkInputGradient(tanhOf(b, "m").build(), x(2, 7), H, TOL);
    }

    @Test
    void sliceWithStepsNegativeStepsAndClampedEnds() {
        ModelProto m = tanhOf(TestModels.opset(13).input("x", DOUBLE, 3, 8, 5)
                .longs("starts", null, 1, -1, 0).longs("ends", null, 100, 0, 5).longs("axes", null, 1, 2, 0)
                .longs("steps", null, 3, -2, 1)
                .node("Slice", List.of("x", "starts", "ends", "axes", "steps"), List.of("s")), "s").build();
        GradCheck.checkInputGradient(m, x(3, 8, 5), H, TOL);
        ModelProto plain = tanhOf(TestModels.opset(11).input("x", DOUBLE, 3, 8)
                .longs("starts", null, 2).longs("ends", null, -1).longs("axes", null, 1)
                .node("Slice", List.of("x", "starts", "ends", "axes"), List.of("s")), "s").build();
        GradCheck.checkInputGradient(plain, x(3, 8), H, TOL);
    }

    @Test
    void gatherAlongAnInnerAxisWithRepeatedAndNegativeIndices() {
        ModelProto m = tanhOf(TestModels.opset(13).input("x", DOUBLE, 2, 5, 3)
                .longs("idx", new long[] {2, 2}, 4, 1, -1, 1)
                .node("Gather", List.of("x", "idx"), List.of("g"), Attr.i("axis", 1)), "g").build();
        GradCheck.checkInputGradient(m, x(2, 5, 3), H, TOL);
    }

    @Test
    void reductionsWithAxesAsAttributeOrInput() {
        ModelProto attr = tanhOf(TestModels.opset(11).input("x", DOUBLE, 2, 3, 4)
                .node("ReduceSum", List.of("x"), List.of("s"), Attr.ints("axes", 1), Attr.i("keepdims", 0))
                .node("ReduceMean", List.of("s"), List.of("m"), Attr.ints("axes", -1)), "m").build();
        GradCheck.checkInputGradient(attr, x(2, 3, 4), H, TOL);
        ModelProto input = tanhOf(TestModels.opset(18).input("x", DOUBLE, 2, 3, 4).longs("axes", null, 0, 2)
                .node("ReduceSum", List.of("x", "axes"), List.of("s"))
                .node("ReduceMean", List.of("x", "axes"), List.of("m"), Attr.i("keepdims", 0))
                .node("ReduceMean", List.of("x"), List.of("all"))
                .node("Mul", List.of("s", "m"), List.of("sm"))
                .node("Add", List.of("sm", "all"), List.of("r")), "r").build();
        GradCheck.checkInputGradient(input, x(2, 3, 4), H, TOL);
    }

    @Test
    void padWithPositiveAndNegativePads() {
        ModelProto m = tanhOf(TestModels.opset(13).input("x", DOUBLE, 2, 4, 5)
                .longs("pads", null, 0, 1, -1, 0, -2, 2).init("v", DOUBLE, new long[0], 0.5)
                .node("Pad", List.of("x", "pads", "v"), List.of("p")), "p").build();
        GradCheck.checkInputGradient(m, x(2, 4, 5), H, TOL);
        ModelProto axes = tanhOf(TestModels.opset(18).input("x", DOUBLE, 2, 4, 5)
                .longs("pads", null, 2, 1).longs("axes", null, -1)
                .node("Pad", List.of("x", "pads", "", "axes"), List.of("p")), "p").build();
        GradCheck.checkInputGradient(axes, x(2, 4, 5), H, TOL);
    }

    @ParameterizedTest(name = "LayerNormalization axis {0}")
    @ValueSource(ints = {-1, 1})
    void layerNormalization(int axis) {
        ModelProto m = tanhOf(TestModels.opset(17).input("x", DOUBLE, 2, 3, 4)
                .random("scale", DOUBLE, rnd, 0.5, 1.5, axis == -1 ? new long[] {4} : new long[] {3, 4})
                .random("bias", DOUBLE, rnd, -1, 1, 4)
                .node("LayerNormalization", List.of("x", "scale", "bias"), List.of("n"), Attr.i("axis", axis),
                        Attr.f("epsilon", 1e-3f)), "n").build();
        GradCheck.checkInputGradient(m, x(2, 3, 4), H, 1e-5);
    }

    @Test
    void batchNormalizationInInference() {
        ModelProto m = TestModels.opset(15).input("x", FLOAT, 2, 3, 2, 2)
                .random("scale", FLOAT, rnd, 0.5, 2, 3).random("bias", FLOAT, rnd, -1, 1, 3)
                .random("mean", FLOAT, rnd, -1, 1, 3).random("var", FLOAT, rnd, 0.5, 2, 3)
                .node("BatchNormalization", List.of("x", "scale", "bias", "mean", "var"), List.of("b"))
                .node("Tanh", "b", "y").output("y", FLOAT).build();
        GradCheck.checkInputGradient(m, GradCheck.random(rnd, DType.FLOAT32, -1, 1, 2, 3, 2, 2), 1e-2, 2e-3);
    }
}
