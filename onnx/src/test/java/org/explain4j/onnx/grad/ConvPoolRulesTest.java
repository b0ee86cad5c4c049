package org.explain4j.onnx.grad;

import static org.explain4j.onnx.grad.TestModels.FLOAT;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.explain4j.core.DType;
import org.explain4j.core.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Conv and pooling in float32 (ONNX Runtime has no float64 kernels for them) against finite differences. */
class ConvPoolRulesTest {
    private static final double H = 1e-2;
    private static final double TOL = 2e-3;
    private final Random rnd = new Random(11);

    private ModelProto conv(long[] x, long[] w, AttributeProto... attrs) {
        return TestModels.opset(13).input("x", FLOAT, x).random("W", FLOAT, rnd, -1, 1, w)
                .random("B", FLOAT, rnd, -1, 1, w[0])
                .node("Conv", List.of("x", "W", "B"), List.of("y"), attrs).output("y", FLOAT).build();
    }

    private Tensor input(int... shape) {
        return GradCheck.random(rnd, DType.FLOAT32, -1, 1, shape);
    }

    @Test
    void convStridePadDilationGroupOddSizes() {
        ModelProto m = conv(new long[] {2, 4, 7, 6}, new long[] {6, 2, 3, 2},
                Attr.ints("strides", 2, 1), Attr.ints("pads", 1, 0, 2, 1), Attr.ints("dilations", 1, 2),
                Attr.i("group", 2));
        GradCheck.checkInputGradient(m, input(2, 4, 7, 6), H, TOL);
    }

    @Test
    void convStrideLeavesTheLastRowsUnread() {
        // (8 + 0 - 3) / 3 leaves two input rows that no window reads: they get a zero gradient
        ModelProto m = conv(new long[] {1, 2, 8, 9}, new long[] {3, 2, 3, 3}, Attr.ints("strides", 3, 2));
        GradCheck.checkInputGradient(m, input(1, 2, 8, 9), H, TOL);
    }

    @ParameterizedTest(name = "auto_pad={0}")
    @ValueSource(strings = {"SAME_UPPER", "SAME_LOWER", "VALID"})
    void convAutoPad(String autoPad) {
        ModelProto m = conv(new long[] {1, 3, 7, 8}, new long[] {2, 3, 4, 3}, Attr.s("auto_pad", autoPad),
                Attr.ints("strides", 2, 2));
        GradCheck.checkInputGradient(m, input(1, 3, 7, 8), H, TOL);
    }

    @Test
    void depthwiseAndOneDimensionalConv() {
        ModelProto depthwise = conv(new long[] {1, 3, 5, 5}, new long[] {3, 1, 3, 3}, Attr.i("group", 3),
                Attr.ints("pads", 1, 1, 1, 1));
        GradCheck.checkInputGradient(depthwise, input(1, 3, 5, 5), H, TOL);
        ModelProto oneD = conv(new long[] {2, 2, 9}, new long[] {4, 2, 3}, Attr.ints("strides", 2),
                Attr.ints("pads", 2, 1), Attr.ints("dilations", 2));
        GradCheck.checkInputGradient(oneD, input(2, 2, 9), H, TOL);
    }

    private static ModelProto pool(String op, long[] x, AttributeProto... attrs) {
        return TestModels.opset(13).input("x", FLOAT, x).node(op, List.of("x"), List.of("y"), attrs)
                .output("y", FLOAT).build();
    }

    @Test
    void overlappingMaxPoolAccumulates() {
        // ResNet's stem pool: 3x3, stride 2, pad 1; windows overlap, so one element can win twice
        ModelProto m = pool("MaxPool", new long[] {2, 2, 7, 7}, Attr.ints("kernel_shape", 3, 3),
                Attr.ints("strides", 2, 2), Attr.ints("pads", 1, 1, 1, 1));
        Tensor x = GradCheck.distinct(rnd, 0.05, 2, 2, 7, 7);
        GradCheck.checkInputGradient(m, x, 1e-3, TOL);
    }

    @Test
    void maxPoolCeilModeDilationsAndOpset11Upgrade() {
        ModelProto ceil = pool("MaxPool", new long[] {1, 2, 6, 7}, Attr.ints("kernel_shape", 2, 3),
                Attr.ints("strides", 2, 2), Attr.i("ceil_mode", 1), Attr.ints("dilations", 2, 1));
        GradCheck.checkInputGradient(ceil, GradCheck.distinct(rnd, 0.05, 1, 2, 6, 7), 1e-3, TOL);
        // an opset-11 model: the backward graph needs opset 16, so the forward nodes are upgraded
        // (Unsqueeze, Squeeze and ReduceSum axes and Dropout's ratio move to inputs, Softmax's
        // flatten-to-2-D semantics are kept)
        ModelProto old = TestModels.opset(11).input("x", FLOAT, 2, 3, 4, 4)
                .node("MaxPool", List.of("x"), List.of("p"), Attr.ints("kernel_shape", 2, 2))
                .node("ReduceSum", List.of("p"), List.of("r"), Attr.ints("axes", 3), Attr.i("keepdims", 0))
                .node("Unsqueeze", List.of("r"), List.of("u"), Attr.ints("axes", 1))
                .node("Squeeze", List.of("u"), List.of("sq"), Attr.ints("axes", 1))
                .node("Dropout", List.of("sq"), List.of("q"), Attr.f("ratio", 0.3f))
                .node("Softmax", List.of("q"), List.of("y"), Attr.i("axis", 1))
                .output("y", FLOAT).build();
        GradCheck.checkInputGradient(old, GradCheck.distinct(rnd, 0.05, 2, 3, 4, 4), 1e-3, TOL);
    }

    @ParameterizedTest(name = "AveragePool count_include_pad={0}")
    @ValueSource(ints = {0, 1})
    void averagePoolWithPads(int includePad) {
        ModelProto m = pool("AveragePool", new long[] {2, 3, 7, 6}, Attr.ints("kernel_shape", 3, 2),
                Attr.ints("strides", 2, 2), Attr.ints("pads", 1, 0, 1, 1), Attr.i("count_include_pad", includePad));
        GradCheck.checkInputGradient(m, input(2, 3, 7, 6), H, TOL);
        ModelProto ceil = pool("AveragePool", new long[] {1, 2, 7, 7}, Attr.ints("kernel_shape", 3, 3),
                Attr.ints("strides", 2, 2), Attr.ints("pads", 1, 1, 1, 1), Attr.i("ceil_mode", 1),
                Attr.i("count_include_pad", includePad));
        GradCheck.checkInputGradient(ceil, input(1, 2, 7, 7), H, TOL);
        ModelProto same = pool("AveragePool", new long[] {1, 2, 5, 8}, Attr.ints("kernel_shape", 2, 3),
                Attr.ints("strides", 2, 3), Attr.s("auto_pad", "SAME_UPPER"), Attr.i("count_include_pad", includePad));
        GradCheck.checkInputGradient(same, input(1, 2, 5, 8), H, TOL);
    }

    @Test
    void padThenAveragePoolAsExportersEmit() {
        ModelProto m = TestModels.opset(13).input("x", FLOAT, 2, 2, 6, 6)
                .longs("pads", null, 0, 0, 1, 1, 0, 0, 1, 1)
                .node("Pad", List.of("x", "pads"), List.of("p"), Attr.s("mode", "constant"))
                .node("AveragePool", List.of("p"), List.of("y"), Attr.ints("kernel_shape", 3, 3),
                        Attr.ints("strides", 2, 2))
                .output("y", FLOAT).build();
        GradCheck.checkInputGradient(m, input(2, 2, 6, 6), H, TOL);
    }

    @Test
    void globalAveragePool() {
        ModelProto m = pool("GlobalAveragePool", new long[] {2, 3, 4, 5});
        GradCheck.checkInputGradient(m, input(2, 3, 4, 5), H, TOL);
    }

    @Test
    void convBatchNormReluMaxPoolGlobalPoolGemm() {
        long c = 4;
        List<String> bn = new ArrayList<>(List.of("c", "scale", "bias", "mean", "var"));
        ModelProto m = TestModels.opset(13).input("x", FLOAT, -1, 2, 6, 6)
                .random("W", FLOAT, rnd, -1, 1, c, 2, 3, 3)
                .random("scale", FLOAT, rnd, 0.5, 2, c).random("bias", FLOAT, rnd, -1, 1, c)
                .random("mean", FLOAT, rnd, -1, 1, c).random("var", FLOAT, rnd, 0.5, 2, c)
                .random("F", FLOAT, rnd, -1, 1, 3, c)
                .node("Conv", List.of("x", "W"), List.of("c"), Attr.ints("pads", 1, 1, 1, 1))
                .node("BatchNormalization", bn, List.of("b"), Attr.f("epsilon", 1e-3f))
                .node("Relu", "b", "r")
                .node("MaxPool", List.of("r"), List.of("p"), Attr.ints("kernel_shape", 2, 2),
                        Attr.ints("strides", 2, 2))
                .node("GlobalAveragePool", "p", "g")
                .node("Flatten", "g", "f")
                .node("Gemm", List.of("f", "F"), List.of("y"), Attr.i("transB", 1))
                .output("y", FLOAT).build();
        GradCheck.checkInputGradient(m, input(2, 2, 6, 6), 1e-3, 5e-3);
    }
}
