package org.explain4j.onnx.grad;

import static org.explain4j.onnx.grad.TestModels.FLOAT;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import java.util.List;
import java.util.Random;
import org.explain4j.core.DType;
import org.junit.jupiter.api.Test;

/**
 * Blocks as exporters write them, several new rules in one graph (gradients summed over
 * residual branches), against finite differences with the default rules.
 */
class ExportedBlocksTest {
    private final Random rnd = new Random(83);

    @Test
    void transformerBlockWithEinsumAttentionGeluAndZeroDropout_matchesFiniteDifferences() {
        TensorProto train = TensorProto.newBuilder().setDataType(TensorProto.DataType.BOOL_VALUE).addInt32Data(1)
                .build();
        ModelProto m = TestModels.opset(20).input("x", FLOAT, 1, 4, 6)
                .random("g1", FLOAT, rnd, 0.5, 1.5, 6).random("b1", FLOAT, rnd, -0.5, 0.5, 6)
                .random("wq", FLOAT, rnd, -0.5, 0.5, 6, 6).random("wk", FLOAT, rnd, -0.5, 0.5, 6, 6)
                .random("wv", FLOAT, rnd, -0.5, 0.5, 6, 6).init("scale", FLOAT, new long[0], 1 / Math.sqrt(6))
                .random("g2", FLOAT, rnd, 0.5, 1.5, 6).random("w1", FLOAT, rnd, -0.5, 0.5, 6, 8)
                .random("w2", FLOAT, rnd, -0.5, 0.5, 8, 6).init("zero", FLOAT, new long[0], 0)
                .node("Constant", List.of(), List.of("train"), Attr.t("value", train))
                .node("LayerNormalization", List.of("x", "g1", "b1"), List.of("n1"))
                .node("MatMul", List.of("n1", "wq"), List.of("q")).node("MatMul", List.of("n1", "wk"), List.of("k"))
                .node("MatMul", List.of("n1", "wv"), List.of("v"))
                .node("Einsum", List.of("q", "k"), List.of("s"), Attr.s("equation", "bqd,bkd->bqk"))
                .node("Mul", List.of("s", "scale"), List.of("ss"))
                .node("Softmax", List.of("ss"), List.of("p"), Attr.i("axis", -1))
                .node("Einsum", List.of("p", "v"), List.of("a"), Attr.s("equation", "bqk,bkd->bqd"))
                .node("Add", List.of("x", "a"), List.of("r1"))
                .node("LayerNormalization", List.of("r1", "g2"), List.of("n2"), Attr.i("axis", 2))
                .node("MatMul", List.of("n2", "w1"), List.of("h"))
                .node("Gelu", List.of("h"), List.of("gh"), Attr.s("approximate", "tanh"))
                .node("Dropout", List.of("gh", "zero", "train"), List.of("d"))
                .node("MatMul", List.of("d", "w2"), List.of("o"))
                .node("Add", List.of("r1", "o"), List.of("r2"))
                .longs("tokens", null, 1)
                .node("ReduceMax", List.of("r2", "tokens"), List.of("y"), Attr.i("keepdims", 0))
                .output("y", FLOAT).build();
        GradCheck.checkInputGradient(m, GradCheck.random(rnd, DType.FLOAT32, -1, 1, 1, 4, 6), 1e-2, 5e-3);
    }

    @Test
    void decoderBlockWithResizePadConvTransposeAndGroupNorm_matchesFiniteDifferences() {
        ModelProto m = TestModels.opset(21).input("x", FLOAT, 1, 2, 4, 4)
                .random("w", FLOAT, rnd, -0.5, 0.5, 4, 2, 3, 3)
                .random("s", FLOAT, rnd, 0.5, 1.5, 4).random("b", FLOAT, rnd, -0.5, 0.5, 4)
                .init("scales", FLOAT, new long[] {4}, 1, 1, 2, 2).longs("pads", null, 0, 0, 1, 1, 0, 0, 1, 1)
                .random("wt", FLOAT, rnd, -0.5, 0.5, 4, 4, 2, 2)
                .random("gs", FLOAT, rnd, 0.5, 1.5, 4).random("gb", FLOAT, rnd, -0.5, 0.5, 4)
                .node("Conv", List.of("x", "w"), List.of("c"), Attr.ints("pads", 1, 1, 1, 1))
                .node("InstanceNormalization", List.of("c", "s", "b"), List.of("in"))
                .node("HardSwish", "in", "hs")
                .node("Resize", List.of("hs", "", "scales"), List.of("up"), Attr.s("mode", "nearest"),
                        Attr.s("coordinate_transformation_mode", "asymmetric"), Attr.s("nearest_mode", "floor"))
                .node("Pad", List.of("up", "pads"), List.of("pd"), Attr.s("mode", "reflect"))
                .node("ConvTranspose", List.of("pd", "wt"), List.of("ct"), Attr.ints("strides", 2, 2),
                        Attr.ints("pads", 1, 1, 1, 1))
                .node("GroupNormalization", List.of("ct", "gs", "gb"), List.of("gn"), Attr.i("num_groups", 2))
                .node("Mish", "gn", "mi")
                .node("DepthToSpace", List.of("mi"), List.of("ds"), Attr.i("blocksize", 2))
                .node("Tanh", "ds", "y").output("y", FLOAT).build();
        GradCheck.checkInputGradient(m, GradCheck.random(rnd, DType.FLOAT32, -1, 1, 1, 2, 4, 4), 1e-2, 5e-3);
    }
}
