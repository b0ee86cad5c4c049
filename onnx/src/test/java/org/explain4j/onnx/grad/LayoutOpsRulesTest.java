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
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Layout and selection ops of exported models (Pad modes, DepthToSpace, Tile, Trilu, CumSum, Einsum, ReduceMax, TopK, ConvTranspose) against finite differences. */
class LayoutOpsRulesTest {
    private final Random rnd = new Random(41);

    private static Tensor random(Random rnd, int type, double lo, double hi, int... shape) {
        return GradCheck.random(rnd, type == FLOAT ? DType.FLOAT32 : DType.FLOAT64, lo, hi, shape);
    }

    /** Checks a linear op: float32 differences are exact up to rounding, whatever the step. */
    private void checkLinear(ModelProto m, int type, int... shape) {
        double tol = type == FLOAT ? 1e-4 : 1e-8;
        GradCheck.checkInputGradient(m, random(rnd, type, -1, 1, shape), type == FLOAT ? 0.25 : 1e-3, tol);
    }

    @ParameterizedTest(name = "Pad {0} opset {1}")
    @CsvSource({"reflect, 11", "edge, 11", "reflect, 18", "edge, 13", "wrap, 19"})
    void padInReflectEdgeAndWrapModes_matchesFiniteDifferences(String mode, int opset) {
        // 2 before and 3 after on the last axis, 1 before and -1 after (a crop) on the third
        ModelProto m = TestModels.opset(opset).input("x", FLOAT, 1, 2, 4, 5)
                .longs("pads", null, 0, 0, 1, 2, 0, 0, -1, 3)
                .node("Pad", List.of("x", "pads"), List.of("y"), Attr.s("mode", mode)).output("y", FLOAT).build();
        checkLinear(m, FLOAT, 1, 2, 4, 5);
    }

    @Test
    void padWithAxesInReflectMode_matchesFiniteDifferences() {
        // opset 18: pads for the listed axes only
        ModelProto m = TestModels.opset(18).input("x", FLOAT, 2, 3, 4)
                .longs("pads", null, 2, 1, 1, 2).longs("axes", null, -1, 1)
                .node("Pad", List.of("x", "pads", "", "axes"), List.of("y"), Attr.s("mode", "reflect"))
                .output("y", FLOAT).build();
        checkLinear(m, FLOAT, 2, 3, 4);
    }

    @ParameterizedTest(name = "DepthToSpace {0}")
    @ValueSource(strings = {"DCR", "CRD"})
    void depthToSpaceInBothModes_matchesFiniteDifferences(String mode) {
        ModelProto m = TestModels.opset(13).input("x", DOUBLE, 2, 8, 2, 3)
                .node("DepthToSpace", List.of("x"), List.of("y"), Attr.i("blocksize", 2), Attr.s("mode", mode))
                .output("y", DOUBLE).build();
        checkLinear(m, DOUBLE, 2, 8, 2, 3);
    }

    @Test
    void spaceToDepth_matchesFiniteDifferences() {
        ModelProto m = TestModels.opset(13).input("x", DOUBLE, 2, 3, 4, 6)
                .node("SpaceToDepth", List.of("x"), List.of("y"), Attr.i("blocksize", 2)).output("y", DOUBLE).build();
        checkLinear(m, DOUBLE, 2, 3, 4, 6);
    }

    @Test
    void tile_sumsTheCopies() {
        ModelProto m = TestModels.opset(13).input("x", DOUBLE, 2, 3, 1).longs("reps", null, 2, 1, 4)
                .node("Tile", List.of("x", "reps"), List.of("y")).output("y", DOUBLE).build();
        checkLinear(m, DOUBLE, 2, 3, 1);
    }

    @ParameterizedTest(name = "Trilu upper={0} k={1}")
    @CsvSource({"1, 0", "0, 0", "1, -1", "0, 2"})
    void trilu_matchesFiniteDifferences(int upper, long k) {
        ModelProto m = TestModels.opset(14).input("x", FLOAT, 2, 4, 5).longs("k", new long[0], k)
                .node("Trilu", List.of("x", "k"), List.of("y"), Attr.i("upper", upper)).output("y", FLOAT).build();
        checkLinear(m, FLOAT, 2, 4, 5);
    }

    @ParameterizedTest(name = "CumSum exclusive={0} reverse={1}")
    @CsvSource({"0, 0", "1, 0", "0, 1", "1, 1"})
    void cumSum_matchesFiniteDifferences(int exclusive, int reverse) {
        ModelProto m = TestModels.opset(14).input("x", DOUBLE, 2, 5, 3).longs("axis", new long[0], -2)
                .node("CumSum", List.of("x", "axis"), List.of("y"), Attr.i("exclusive", exclusive),
                        Attr.i("reverse", reverse)).output("y", DOUBLE).build();
        checkLinear(m, DOUBLE, 2, 5, 3);
    }

    @ParameterizedTest(name = "Einsum {0}")
    @CsvSource(delimiter = ';', value = {
        // equation; x's shape; permutation of sin(x) that makes the second operand (empty: one operand)
        "bij,bjk->bik; 2,3,4; 0,2,1",
        "bhqd,bhkd->bhqk; 1,2,3,4; 0,1,2,3",
        "bhqk,bhkd->bhqd; 1,2,3,3; 0,1,2,3",
        "ij->ji; 3,4; ",
        "bij->bj; 2,3,4; ",
        "bij->; 2,3,4; ",
        "...ij,...jk->...ik; 2,1,3,4; 1,0,3,2",
        "ij,jk; 3,4; 1,0",
        "ij,kj; 3,4; 0,1",
        "bii->bi; 2,3,3; ",
        "bii,bij->bj; 2,3,3; 0,2,1",
        "iij->j; 3,3,2; "})
    void einsum_matchesFiniteDifferencesForEveryOperand(String equation, String shape, String perm) {
        int[] dims = java.util.Arrays.stream(shape.split(",")).mapToInt(Integer::parseInt).toArray();
        long[] ldims = java.util.Arrays.stream(dims).asLongStream().toArray();
        TestModels b = TestModels.opset(13).input("x", DOUBLE, ldims);
        List<String> operands = List.of("x");
        if (perm != null && !perm.isBlank()) {
            long[] p = java.util.Arrays.stream(perm.split(",")).mapToLong(Long::parseLong).toArray();
            b.node("Sin", "x", "s").node("Transpose", List.of("s"), List.of("t"), Attr.ints("perm", p));
            operands = List.of("x", "t");
        }
        ModelProto m = b.node("Einsum", operands, List.of("e"), Attr.s("equation", equation))
                .node("Tanh", "e", "y").output("y", DOUBLE).build();
        GradCheck.checkInputGradient(m, random(rnd, DOUBLE, -1, 1, dims), 1e-6, 1e-6);
    }

    @ParameterizedTest(name = "{0} opset {1} keepdims {2}")
    @CsvSource({"ReduceMax, 13, 1", "ReduceMin, 13, 0", "ReduceMax, 18, 0", "ReduceMin, 18, 1"})
    void reduceMaxAndMin_sendTheGradientToTheExtreme(String op, int opset, int keepdims) {
        TestModels b = TestModels.opset(opset).input("x", DOUBLE, 2, 3, 4);
        if (opset >= 18) {
            b.longs("axes", null, 1, -1).node(op, List.of("x", "axes"), List.of("r"), Attr.i("keepdims", keepdims));
        } else {
            b.node(op, List.of("x"), List.of("r"), Attr.ints("axes", 1, -1), Attr.i("keepdims", keepdims));
        }
        ModelProto m = b.node("Tanh", "r", "y").output("y", DOUBLE).build();
        GradCheck.checkInputGradient(m, random(rnd, DOUBLE, -1, 1, 2, 3, 4), 1e-6, 1e-6);
    }

    @ParameterizedTest(name = "{0} opset {1}")
    @CsvSource({"ReduceSumSquare, 13", "ReduceL1, 13", "ReduceL2, 13", "ReduceLogSumExp, 13", "ReduceL2, 18",
        "ReduceLogSumExp, 18"})
    void normReductions_matchFiniteDifferences(String op, int opset) {
        // the second row is zeroed first: ReduceL2's gradient there is 0, as the central difference of |h|
        TestModels b = TestModels.opset(opset).input("x", DOUBLE, 3, 4)
                .init("mask", DOUBLE, new long[] {3, 1}, 1, 0, 1)
                .node("Mul", List.of("x", "mask"), List.of("mx"));
        if (opset >= 18) {
            b.longs("axes", null, -1).node(op, List.of("mx", "axes"), List.of("r"));
        } else {
            b.node(op, List.of("mx"), List.of("r"), Attr.ints("axes", -1));
        }
        ModelProto m = b.node("Tanh", "r", "y").output("y", DOUBLE).build();
        GradCheck.checkInputGradient(m, random(rnd, DOUBLE, -1, 1, 3, 4), 1e-6, 1e-6);
    }

    @Test
    void reduceMaxOverTiedCopies_splitsTheGradientEvenly() {
        // max over [x, x] along the copies: both copies tie, each gets half, so x gets g (not 2g)
        ModelProto m = TestModels.opset(13).input("x", DOUBLE, 2, 3)
                .node("Unsqueeze", List.of("x", "a0"), List.of("u")).longs("a0", null, 0)
                .node("Concat", List.of("u", "u"), List.of("c"), Attr.i("axis", 0))
                .node("ReduceMax", List.of("c"), List.of("r"), Attr.ints("axes", 0), Attr.i("keepdims", 0))
                .node("Tanh", "r", "y").output("y", DOUBLE).build();
        GradCheck.checkInputGradient(m, random(rnd, DOUBLE, -1, 1, 2, 3), 1e-6, 1e-6);
    }

    @Test
    void globalMaxPool_sendsTheGradientToEachChannelsMaximum() {
        ModelProto m = TestModels.opset(13).input("x", FLOAT, 2, 3, 4, 5)
                .node("GlobalMaxPool", "x", "p").node("Tanh", "p", "y").output("y", FLOAT).build();
        GradCheck.checkInputGradient(m, GradCheck.distinct(rnd, 0.05, 2, 3, 4, 5), 1e-2, 2e-3);
    }

    @ParameterizedTest(name = "TopK largest={0}")
    @ValueSource(ints = {1, 0})
    void topKValues_scatterTheGradientToTheChosenIndices(int largest) {
        // the indices output feeds nothing differentiable: only the values carry a gradient
        ModelProto m = TestModels.opset(13).input("x", DOUBLE, 2, 6).longs("k", null, 3)
                .node("TopK", List.of("x", "k"), List.of("v", "i"), Attr.i("axis", 1), Attr.i("largest", largest))
                .node("Cast", List.of("i"), List.of("fi"), Attr.i("to", DOUBLE))
                .node("Mul", List.of("v", "fi"), List.of("p"))
                .node("Tanh", "p", "y").output("y", DOUBLE).build();
        GradCheck.checkInputGradient(m, random(rnd, DOUBLE, -1, 1, 2, 6), 1e-6, 1e-6);
    }

    @ParameterizedTest(name = "ConvTranspose strides {0} pads {1} output_padding {2} group {3} dilation {4}")
    @CsvSource({"2, 1, 1, 1, 1", "2, 0, 0, 2, 1", "1, 1, 0, 2, 2", "3, 2, 2, 1, 1"})
    void convTranspose_inputGradientIsAConv(long stride, long pad, long outputPadding, long group, long dilation) {
        ModelProto m = TestModels.opset(13).input("x", FLOAT, 1, 4, 5, 4)
                .random("w", FLOAT, rnd, -1, 1, 4, 6 / group, 3, 3)
                .random("b", FLOAT, rnd, -1, 1, 6)
                .node("ConvTranspose", List.of("x", "w", "b"), List.of("y"), Attr.ints("strides", stride, stride),
                        Attr.ints("pads", pad, 0, pad, 0), Attr.ints("output_padding", outputPadding, 0),
                        Attr.i("group", group), Attr.ints("dilations", dilation, dilation))
                .output("y", FLOAT).build();
        checkLinear(m, FLOAT, 1, 4, 5, 4);
    }

    @ParameterizedTest(name = "ConvTranspose auto_pad {0} output_shape {1}")
    @CsvSource({"SAME_UPPER, 0", "SAME_LOWER, 0", "NOTSET, 10", "NOTSET, 11", "SAME_UPPER, 11", "SAME_LOWER, 9"})
    void convTransposeWithDerivedPads_inputGradientIsAConv(String autoPad, long outputShape) {
        // strides 2, kernel 4: total padding 2 * 4 + 4 - 10 = 2 for the SAME forms, odd for some output shapes
        TestModels b = TestModels.opset(13).input("x", FLOAT, 1, 2, 5, 5)
                .random("w", FLOAT, rnd, -1, 1, 2, 3, 4, 3);
        List<ai.onnx.proto.OnnxMl.AttributeProto> attrs = new java.util.ArrayList<>(List.of(
                Attr.ints("strides", 2, 2), Attr.s("auto_pad", autoPad)));
        if (outputShape > 0) {
            attrs.add(Attr.ints("output_shape", outputShape, 9));
        }
        ModelProto m = b.node("ConvTranspose", List.of("x", "w"), List.of("y"),
                attrs.toArray(new ai.onnx.proto.OnnxMl.AttributeProto[0])).output("y", FLOAT).build();
        checkLinear(m, FLOAT, 1, 2, 5, 5);
    }

    @Test
    void convTransposeIn1d_inputGradientIsAConv() {
        ModelProto m = TestModels.opset(13).input("x", FLOAT, 2, 3, 7)
                .random("w", FLOAT, rnd, -1, 1, 3, 2, 4)
                .node("ConvTranspose", List.of("x", "w"), List.of("y"), Attr.ints("strides", 3),
                        Attr.ints("pads", 1, 2), Attr.ints("output_padding", 2))
                .output("y", FLOAT).build();
        checkLinear(m, FLOAT, 2, 3, 7);
    }
}
