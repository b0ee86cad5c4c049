package org.explain4j.onnx.grad;

import static org.assertj.core.api.Assertions.assertThat;
import static org.explain4j.onnx.grad.TestModels.FLOAT;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
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
 * The strided Conv input gradient as phase convolutions interleaved by DepthToSpace (rules
 * {@code Polyphase}) against the ConvTranspose of the plain rules, which {@code ConvPoolRulesTest}
 * checks against finite differences, over the geometries the decomposition has to get right:
 * pads (asymmetric, SAME), input sizes that are not a multiple of the stride (crop), strides 2 and
 * 3, dilations (that leave one phase, or all, with taps), groups, 1x1 and 7x7 kernels.
 */
class PolyphaseConvTest {
    private final Random rnd = new Random(31);

    private ModelProto conv(long[] x, long[] w, AttributeProto... attrs) {
        return TestModels.opset(13).input("x", FLOAT, -1, x[1], x[2], x[3]).random("W", FLOAT, rnd, -1, 1, w)
                .node("Conv", List.of("x", "W"), List.of("y"), attrs).output("y", FLOAT).build();
    }

    private static List<String> ops(BackwardGraph g) {
        return g.model().getGraph().getNodeList().stream().map(NodeProto::getOpType).toList();
    }

    static Stream<Arguments> geometries() {
        return Stream.of(
                Arguments.of("3x3 s2 p1, even (ResNet's downsampling)", new long[] {2, 16, 10, 10},
                        new long[] {32, 16, 3, 3}, new AttributeProto[] {Attr.ints("strides", 2, 2),
                            Attr.ints("pads", 1, 1, 1, 1)}, "DepthToSpace"),
                Arguments.of("3x3 s2 p1, odd sizes (cropped)", new long[] {1, 16, 9, 11},
                        new long[] {16, 16, 3, 3}, new AttributeProto[] {Attr.ints("strides", 2, 2),
                            Attr.ints("pads", 1, 1, 1, 1)}, "DepthToSpace"),
                Arguments.of("1x1 s2 (ResNet's shortcut): one phase, ConvTranspose", new long[] {2, 16, 10, 10},
                        new long[] {32, 16, 1, 1}, new AttributeProto[] {Attr.ints("strides", 2, 2)}, "ConvTranspose"),
                Arguments.of("1x1 s2, odd sizes", new long[] {1, 16, 9, 7},
                        new long[] {16, 16, 1, 1}, new AttributeProto[] {Attr.ints("strides", 2, 2)}, "ConvTranspose"),
                Arguments.of("1x1 s2 p1: the one phase is (1, 1)", new long[] {1, 16, 8, 8},
                        new long[] {16, 16, 1, 1}, new AttributeProto[] {Attr.ints("strides", 2, 2),
                            Attr.ints("pads", 1, 1, 1, 1)}, "ConvTranspose"),
                Arguments.of("7x7 s2 p3 (a stem on 16 channels)", new long[] {1, 16, 14, 13},
                        new long[] {16, 16, 7, 7}, new AttributeProto[] {Attr.ints("strides", 2, 2),
                            Attr.ints("pads", 3, 3, 3, 3)}, "DepthToSpace"),
                Arguments.of("3x3 s3, asymmetric pads", new long[] {1, 16, 11, 10},
                        new long[] {16, 16, 3, 3}, new AttributeProto[] {Attr.ints("strides", 3, 3),
                            Attr.ints("pads", 0, 1, 2, 1)}, "DepthToSpace"),
                Arguments.of("2x2 s2 (non-overlapping)", new long[] {1, 16, 8, 9},
                        new long[] {16, 16, 2, 2}, new AttributeProto[] {Attr.ints("strides", 2, 2)}, "DepthToSpace"),
                Arguments.of("3x3 s2 dilation 2 p2: taps on one phase only, ConvTranspose", new long[] {1, 16, 10, 9},
                        new long[] {16, 16, 3, 3}, new AttributeProto[] {Attr.ints("strides", 2, 2),
                            Attr.ints("pads", 2, 2, 2, 2), Attr.ints("dilations", 2, 2)}, "ConvTranspose"),
                Arguments.of("3x3 s2 dilations (3, 1): sub-kernel dilation 3", new long[] {1, 16, 13, 9},
                        new long[] {16, 16, 3, 3}, new AttributeProto[] {Attr.ints("strides", 2, 2),
                            Attr.ints("pads", 3, 1, 3, 1), Attr.ints("dilations", 3, 1)}, "DepthToSpace"),
                Arguments.of("3x3 s2 p1, 2 groups", new long[] {2, 32, 8, 8},
                        new long[] {32, 16, 3, 3}, new AttributeProto[] {Attr.ints("strides", 2, 2),
                            Attr.ints("pads", 1, 1, 1, 1), Attr.i("group", 2)}, "DepthToSpace"),
                Arguments.of("3x3 s2 p1, depthwise", new long[] {1, 16, 9, 9},
                        new long[] {16, 1, 3, 3}, new AttributeProto[] {Attr.ints("strides", 2, 2),
                            Attr.ints("pads", 1, 1, 1, 1), Attr.i("group", 16)}, "DepthToSpace"),
                Arguments.of("3x3 s2 SAME_UPPER", new long[] {1, 16, 9, 8},
                        new long[] {16, 16, 3, 3}, new AttributeProto[] {Attr.ints("strides", 2, 2),
                            Attr.s("auto_pad", "SAME_UPPER")}, "DepthToSpace"),
                Arguments.of("3x3 s2 SAME_LOWER", new long[] {1, 16, 9, 8},
                        new long[] {16, 16, 3, 3}, new AttributeProto[] {Attr.ints("strides", 2, 2),
                            Attr.s("auto_pad", "SAME_LOWER")}, "DepthToSpace"),
                Arguments.of("3x3 s2 p2: phase 1 reads the gradient from its second row", new long[] {1, 16, 9, 10},
                        new long[] {16, 16, 3, 3}, new AttributeProto[] {Attr.ints("strides", 2, 2),
                            Attr.ints("pads", 2, 2, 2, 2)}, "DepthToSpace"),
                Arguments.of("3x3 s2 no pads: last row read by no window", new long[] {1, 16, 8, 8},
                        new long[] {16, 16, 3, 3}, new AttributeProto[] {Attr.ints("strides", 2, 2)}, "DepthToSpace"),
                // not decomposed: unequal strides, and stride 3 with a 2-tap kernel (4 of 9 phases with taps)
                Arguments.of("strides (2, 1): ConvTranspose", new long[] {1, 16, 8, 8},
                        new long[] {16, 16, 3, 3}, new AttributeProto[] {Attr.ints("strides", 2, 1),
                            Attr.ints("pads", 1, 1, 1, 1)}, "ConvTranspose"),
                Arguments.of("2x2 s3: ConvTranspose", new long[] {1, 16, 9, 9},
                        new long[] {16, 16, 2, 2}, new AttributeProto[] {Attr.ints("strides", 3, 3)}, "ConvTranspose"),
                // narrow channels stay on the ConvTranspose (an RGB stem: timed no faster)
                Arguments.of("3 input channels: ConvTranspose", new long[] {1, 3, 10, 10},
                        new long[] {16, 3, 3, 3}, new AttributeProto[] {Attr.ints("strides", 2, 2),
                            Attr.ints("pads", 1, 1, 1, 1)}, "ConvTranspose"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("geometries")
    void agreesWithTheConvTransposeOfThePlainRules(String name, long[] x, long[] w, AttributeProto[] attrs,
            String placement) {
        ModelProto model = conv(x, w, attrs);
        int[] shape = {(int) x[0], (int) x[1], (int) x[2], (int) x[3]};
        BackwardSpec spec = BackwardSpec.inputGradient("x", "y", shape);
        BackwardGraph optimised = new BackwardGraphBuilder().build(model, spec);
        BackwardGraph plain = new BackwardGraphBuilder().plainRules().build(model, spec);
        assertThat(ops(plain)).contains("ConvTranspose");
        assertThat(ops(optimised)).contains(placement);
        if (!placement.equals("ConvTranspose")) {
            assertThat(ops(optimised)).doesNotContain("ConvTranspose");
        }
        Tensor input = GradCheck.random(rnd, DType.FLOAT32, -1, 1, shape);
        int[] y = plain.model().getGraph().getOutputList().stream().filter(o -> o.getName().equals(plain.outputName()))
                .findFirst().orElseThrow().getType().getTensorType().getShape().getDimList().stream()
                .mapToInt(dim -> (int) dim.getDimValue()).toArray();
        y[0] = shape[0];
        Tensor seed = GradCheck.random(rnd, DType.FLOAT32, -1, 1, y);
        double[] expected = Run.inputGradient(plain, input, seed);
        double[] actual = Run.inputGradient(optimised, input, seed);
        GradCheck.assertClose(name, actual, expected, 1e-5);
        double norm = 0;
        for (double v : expected) {
            norm += Math.abs(v);
        }
        assertThat(norm).as("a gradient that is not all zeros").isGreaterThan(1);
    }

    @Test
    void decomposedGradientAgreesWithFiniteDifferences() {
        // the default (optimised) rules through the model's own backward pass: no ConvTranspose involved
        ModelProto model = conv(new long[] {1, 16, 7, 6}, new long[] {16, 16, 3, 3}, Attr.ints("strides", 2, 2),
                Attr.ints("pads", 1, 0, 1, 1));
        GradCheck.checkInputGradient(model, GradCheck.random(rnd, DType.FLOAT32, -1, 1, 1, 16, 7, 6), 1e-2, 2e-3);
    }

    @Test
    void transposeModeRestoresTheConvTranspose() {
        ModelProto model = conv(new long[] {1, 16, 8, 8}, new long[] {16, 16, 3, 3}, Attr.ints("strides", 2, 2),
                Attr.ints("pads", 1, 1, 1, 1));
        BackwardSpec spec = BackwardSpec.inputGradient("x", "y", 1, 16, 8, 8);
        String before = System.getProperty(org.explain4j.onnx.grad.rules.Polyphase.PROPERTY);
        try {
            System.setProperty(org.explain4j.onnx.grad.rules.Polyphase.PROPERTY, "transpose");
            assertThat(ops(new BackwardGraphBuilder().build(model, spec))).contains("ConvTranspose")
                    .doesNotContain("DepthToSpace");
        } finally {
            if (before == null) {
                System.clearProperty(org.explain4j.onnx.grad.rules.Polyphase.PROPERTY);
            } else {
                System.setProperty(org.explain4j.onnx.grad.rules.Polyphase.PROPERTY, before);
            }
        }
        assertThat(ops(new BackwardGraphBuilder().build(model, spec))).contains("DepthToSpace")
                .doesNotContain("ConvTranspose");
    }
}
