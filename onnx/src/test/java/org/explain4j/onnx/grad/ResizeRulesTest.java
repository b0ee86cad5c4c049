package org.explain4j.onnx.grad;

import static org.explain4j.onnx.grad.TestModels.FLOAT;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.explain4j.core.DType;
import org.explain4j.core.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Resize in every mode, coordinate transformation and nearest mode PyTorch exports, with scales
 * or sizes, against finite differences (float32: ONNX Runtime has no float64 Resize). Resize is
 * linear, so the differences are exact up to rounding and the tolerance is tight.
 */
class ResizeRulesTest {

    /** opset, mode, coordinate_transformation_mode, nearest_mode (or ""), scales (or null), sizes (or null), extra attributes. */
    static Stream<Arguments> cases() {
        return Stream.of(
                c(13, "nearest", "asymmetric", "floor", new double[] {1, 1, 2, 2}, null),
                c(11, "nearest", "asymmetric", "floor", new double[] {1, 1, 2, 3}, null),
                c(13, "nearest", "half_pixel", "round_prefer_floor", new double[] {1, 1, 1.5, 0.6}, null),
                c(13, "nearest", "half_pixel", "round_prefer_ceil", null, new long[] {1, 2, 7, 3}),
                c(13, "nearest", "align_corners", "ceil", null, new long[] {1, 2, 8, 6}),
                c(13, "nearest", "pytorch_half_pixel", "round_prefer_floor", new double[] {1, 1, 2, 2}, null),
                c(11, "nearest", "tf_half_pixel_for_nn", "round_prefer_floor", new double[] {1, 1, 1.5, 2}, null),
                c(11, "linear", "align_corners", "", null, new long[] {1, 2, 9, 7}),
                c(13, "linear", "pytorch_half_pixel", "", new double[] {1, 1, 2, 2}, null),
                c(13, "linear", "half_pixel", "", new double[] {1, 1, 0.5, 0.75}, null),
                c(13, "linear", "asymmetric", "", new double[] {1, 1, 2.5, 1.5}, null),
                c(19, "linear", "half_pixel_symmetric", "", new double[] {1, 1, 1.7, 2.3}, null),
                c(13, "cubic", "half_pixel", "", new double[] {1, 1, 2, 2}, null),
                c(13, "cubic", "align_corners", "", null, new long[] {1, 2, 7, 9}),
                c(13, "cubic", "asymmetric", "", null, new long[] {1, 2, 8, 3},
                        Attr.f("cubic_coeff_a", -0.5f), Attr.i("exclude_outside", 1)),
                c(18, "linear", "half_pixel", "", new double[] {2, 1.5}, null, Attr.ints("axes", 2, 3)),
                c(18, "nearest", "half_pixel", "round_prefer_floor", null, new long[] {10, 10},
                        Attr.ints("axes", 2, 3), Attr.s("keep_aspect_ratio_policy", "not_larger")),
                c(18, "linear", "half_pixel", "", null, new long[] {6, 6},
                        Attr.ints("axes", 2, 3), Attr.s("keep_aspect_ratio_policy", "not_smaller")));
    }

    private static Arguments c(int opset, String mode, String transform, String nearest, double[] scales,
                               long[] sizes, AttributeProto... extra) {
        return Arguments.of(opset, mode, transform, nearest, scales, sizes, List.of(extra));
    }

    @Test
    void scalesComputedInTheGraph_areTakenAsOutputOverInputSize() {
        // the scales are not an initializer or Constant (a Concat of two), so the rule uses out / in = 2
        ModelProto m = TestModels.opset(13).input("x", FLOAT, 1, 2, 5, 4)
                .init("ones", FLOAT, new long[] {2}, 1, 1).init("twos", FLOAT, new long[] {2}, 2, 2)
                .node("Concat", List.of("ones", "twos"), List.of("scales"), Attr.i("axis", 0))
                .node("Resize", List.of("x", "", "scales"), List.of("y"), Attr.s("mode", "linear"))
                .output("y", FLOAT).build();
        GradCheck.checkInputGradient(m, GradCheck.random(new Random(9), DType.FLOAT32, -1, 1, 1, 2, 5, 4), 0.25,
                1e-4);
    }

    @Test
    void trilinearResizeOfAVolume_matchesFiniteDifferences() {
        ModelProto m = TestModels.opset(13).input("x", FLOAT, 1, 2, 3, 4, 3)
                .init("scales", FLOAT, new long[] {5}, 1, 1, 2, 1.5, 2)
                .node("Resize", List.of("x", "", "scales"), List.of("y"), Attr.s("mode", "linear"),
                        Attr.s("coordinate_transformation_mode", "align_corners"))
                .output("y", FLOAT).build();
        GradCheck.checkInputGradient(m, GradCheck.random(new Random(10), DType.FLOAT32, -1, 1, 1, 2, 3, 4, 3), 0.25,
                1e-4);
    }

    @ParameterizedTest(name = "opset {0} {1} {2} {3}")
    @MethodSource("cases")
    void resize_matchesFiniteDifferences(int opset, String mode, String transform, String nearest, double[] scales,
                                         long[] sizes, List<AttributeProto> extra) {
        TestModels b = TestModels.opset(opset).input("x", FLOAT, 1, 2, 5, 4)
                .init("empty", FLOAT, new long[] {0});
        List<String> in = new ArrayList<>(List.of("x", opset < 13 ? "empty" : ""));
        if (scales != null) {
            b.init("scales", FLOAT, new long[] {scales.length}, scales);
            in.add("scales");
        } else {
            b.longs("sizes", null, sizes);
            in.add(opset < 13 ? "empty" : "");
            in.add("sizes");
        }
        List<AttributeProto> attrs = new ArrayList<>(List.of(Attr.s("mode", mode),
                Attr.s("coordinate_transformation_mode", transform)));
        if (!nearest.isEmpty()) {
            attrs.add(Attr.s("nearest_mode", nearest));
        }
        attrs.addAll(extra);
        ModelProto m = b.node("Resize", in, List.of("y"), attrs.toArray(new AttributeProto[0])).output("y", FLOAT)
                .build();
        Tensor x = GradCheck.random(new Random(mode.hashCode() + transform.hashCode()), DType.FLOAT32, -1, 1,
                1, 2, 5, 4);
        GradCheck.checkInputGradient(m, x, 0.25, 1e-4);
    }
}
