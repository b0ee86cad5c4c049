package org.explain4j.onnx.grad;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.explain4j.onnx.grad.TestModels.FLOAT;
import static org.explain4j.onnx.grad.TestModels.INT64;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnxruntime.OrtEnvironment;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.explain4j.core.DType;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Models of opsets 7 to 10 rewritten in opset-11 forms compute what they computed. */
class LegacyOpsetTest {
    /** One rewritten op: a model, its input shape, the op type after the rewrite and an attribute that must be gone. */
    record Case(String name, ModelProto model, int[] shape, String opAfter, String goneAttribute) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static final Random RND = new Random(7);

    private static ModelProto unary(int opset, String op, long[] shape, AttributeProto... attrs) {
        return TestModels.unary(opset, op, FLOAT, shape, attrs);
    }

    static Stream<Case> cases() {
        return Stream.of(
                new Case("clip6_min_max", unary(9, "Clip", new long[] {2, 5}, Attr.f("min", -0.3f), Attr.f("max", 0.5f)),
                        new int[] {2, 5}, "Clip", "min"),
                new Case("clip6_min_only", unary(7, "Clip", new long[] {2, 5}, Attr.f("min", 0.1f)),
                        new int[] {2, 5}, "Clip", "min"),
                new Case("pad2_constant_value", unary(9, "Pad", new long[] {2, 3}, Attr.ints("pads", 0, 1, 2, 1),
                        Attr.f("value", 0.7f)), new int[] {2, 3}, "Pad", "pads"),
                new Case("pad2_reflect", unary(9, "Pad", new long[] {2, 4}, Attr.ints("pads", 0, 2, 0, 1),
                        Attr.s("mode", "reflect")), new int[] {2, 4}, "Pad", "pads"),
                new Case("slice1_attributes", unary(9, "Slice", new long[] {3, 6}, Attr.ints("starts", 1, -5),
                        Attr.ints("ends", 1000, -1), Attr.ints("axes", 0, 1)), new int[] {3, 6}, "Slice", "starts"),
                new Case("slice1_without_axes", unary(9, "Slice", new long[] {3, 6}, Attr.ints("starts", 0, 2),
                        Attr.ints("ends", 2, 5)), new int[] {3, 6}, "Slice", "ends"),
                new Case("batchnorm7_spatial", batchNorm(true), new int[] {2, 3, 2, 2}, "BatchNormalization",
                        "spatial"),
                new Case("batchnorm7_per_element", batchNorm(false), new int[] {2, 3, 2, 2}, "Add", "spatial"),
                new Case("upsample7_nearest", unary(7, "Upsample", new long[] {1, 2, 2, 3},
                        RecurrentUnrollingTest.floats("scales", 1, 1, 2, 3)), new int[] {1, 2, 2, 3}, "Resize", "scales"),
                new Case("upsample7_linear", unary(7, "Upsample", new long[] {1, 2, 2, 3},
                        RecurrentUnrollingTest.floats("scales", 1, 1, 2, 2), Attr.s("mode", "linear")), new int[] {1, 2, 2, 3}, "Resize",
                        "scales"),
                new Case("upsample9_scales_input", scalesInput(9, "Upsample", "nearest", 1, 1, 3, 2),
                        new int[] {1, 2, 2, 3}, "Resize", "scales"),
                new Case("resize10_nearest", scalesInput(10, "Resize", "nearest", 1, 1, 2.5f, 1.5f),
                        new int[] {1, 2, 2, 3}, "Resize", "scales"),
                new Case("resize10_linear", scalesInput(10, "Resize", "linear", 1, 1, 2, 1.5f),
                        new int[] {1, 2, 2, 3}, "Resize", "scales"),
                new Case("dropout7_ratio", unary(7, "Dropout", new long[] {2, 3}, Attr.f("ratio", 0.3f)),
                        new int[] {2, 3}, "Dropout", "is_test"),
                new Case("topk1_k_attribute", TestModels.opset(9).input("x", FLOAT, 2, 6)
                        .node("TopK", List.of("x"), List.of("y", "i"), Attr.i("k", 3))
                        .output("y", FLOAT).output("i", INT64).build(), new int[] {2, 6}, "TopK", "k"),
                new Case("imagescaler", unary(8, "ImageScaler", new long[] {1, 3, 2, 2}, Attr.f("scale", 1.7f),
                        RecurrentUnrollingTest.floats("bias", 0.5f, -1f, 2f)), new int[] {1, 3, 2, 2}, "Add", "bias"),
                new Case("squeeze1_axes", unary(9, "Squeeze", new long[] {2, 1, 3, 1}, Attr.ints("axes", 1, 3)),
                        new int[] {2, 1, 3, 1}, "Squeeze", "none"),
                new Case("unsqueeze1_axes", unary(9, "Unsqueeze", new long[] {2, 3}, Attr.ints("axes", 0, 3)),
                        new int[] {2, 3}, "Unsqueeze", "none"),
                new Case("reducesum1_axes", unary(9, "ReduceSum", new long[] {2, 3, 4}, Attr.ints("axes", 0, 2),
                        Attr.i("keepdims", 0)), new int[] {2, 3, 4}, "ReduceSum", "none"),
                new Case("reducemean1_axes", unary(9, "ReduceMean", new long[] {2, 3, 4}, Attr.ints("axes", 1)),
                        new int[] {2, 3, 4}, "ReduceMean", "none"),
                new Case("softmax1_flattening_axis", unary(9, "Softmax", new long[] {2, 3, 4}, Attr.i("axis", 1)),
                        new int[] {2, 3, 4}, "Softmax", "none"),
                new Case("logsoftmax1_default_axis", unary(8, "LogSoftmax", new long[] {2, 3, 4}),
                        new int[] {2, 3, 4}, "LogSoftmax", "none"),
                new Case("hardsigmoid6", unary(9, "HardSigmoid", new long[] {2, 5}, Attr.f("alpha", 0.3f)),
                        new int[] {2, 5}, "HardSigmoid", "none"),
                new Case("split2_split_attribute", TestModels.opset(9).input("x", FLOAT, 2, 6)
                        .node("Split", List.of("x"), List.of("y", "z"), Attr.i("axis", 1), Attr.ints("split", 2, 4))
                        .output("y", FLOAT).output("z", FLOAT).build(), new int[] {2, 6}, "Split", "none"),
                new Case("scatter9", TestModels.opset(9).input("x", FLOAT, 3, 3)
                        .longs("idx", new long[] {1, 3}, 2, 0, 1).init("upd", FLOAT, new long[] {1, 3}, 5, 6, 7)
                        .node("Scatter", List.of("x", "idx", "upd"), List.of("y"), Attr.i("axis", 0))
                        .output("y", FLOAT).build(), new int[] {3, 3}, "ScatterElements", "none"));
    }

    /** BatchNormalization-7 with statistics per channel (spatial) or per element. */
    private static ModelProto batchNorm(boolean spatial) {
        long[] p = spatial ? new long[] {3} : new long[] {3, 2, 2};
        TestModels m = TestModels.opset(7).input("x", FLOAT, 2, 3, 2, 2)
                .random("scale", FLOAT, RND, 0.5, 1.5, p).random("bias", FLOAT, RND, -1, 1, p)
                .random("mean", FLOAT, RND, -0.5, 0.5, p).random("var", FLOAT, RND, 0.2, 2, p)
                .node("BatchNormalization", List.of("x", "scale", "bias", "mean", "var"), List.of("y"),
                        Attr.i("spatial", spatial ? 1 : 0), Attr.f("epsilon", 1e-3f));
        return m.output("y", FLOAT).build();
    }

    private static ModelProto scalesInput(int opset, String op, String mode, float... scales) {
        double[] s = new double[scales.length];
        for (int i = 0; i < s.length; i++) {
            s[i] = scales[i];
        }
        return TestModels.opset(opset).input("x", FLOAT, 1, 2, 2, 3).init("scales", FLOAT, new long[] {4}, s)
                .node(op, List.of("x", "scales"), List.of("y"), Attr.s("mode", mode)).output("y", FLOAT).build();
    }

    private static ModelProto lowered(ModelProto model, int[] shape) {
        return GraphLowering.lower(OrtEnvironment.getEnvironment(), model,
                BackwardSpec.inputGradient("x", "y", shape)).model();
    }

    /**
     * The opset-11 model in its opset-16 form, as the builder writes it when an emitted op needs
     * opset 16 (attributes that became inputs at 13, Softmax's semantics, Dropout's ratio).
     */
    private static ModelProto upgradedTo16(ModelProto low, int[] shape) {
        ShapeProbe.Result r = ShapeProbe.run(OrtEnvironment.getEnvironment(), low, "x", FLOAT, shape);
        Set<String> taken = new HashSet<>(r.metas().keySet());
        low.getGraph().getInitializerList().forEach(t -> taken.add(t.getName()));
        GraphEmitter e = new GraphEmitter(taken, 16);
        Map<String, TensorMeta> metas = new HashMap<>(r.metas());
        metas.put("x", new TensorMeta(FLOAT, Arrays.stream(shape).asLongStream().toArray()));
        List<NodeProto> nodes = new OpsetUpgrader(11, 16, e, metas::get).upgrade(low.getGraph().getNodeList());
        ModelProto.Builder b = low.toBuilder().setIrVersion(8).clearOpsetImport()
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(16));
        b.getGraphBuilder().clearNode().addAllNode(nodes).addAllInitializer(e.initializers());
        return b.build();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void rewrittenOp_computesWhatTheOldOpsetComputed(Case c) {
        ModelProto low = lowered(c.model(), c.shape());
        assertThat(BackwardGraphBuilder.defaultOpset(low)).isEqualTo(11);
        NodeProto last = low.getGraph().getNode(low.getGraph().getNodeCount() - 1);
        assertThat(last.getOpType()).isEqualTo(c.opAfter());
        assertThat(Attr.find(last, c.goneAttribute())).isEmpty();
        ModelProto at16 = upgradedTo16(low, c.shape());
        for (long seed = 1; seed <= 2; seed++) {
            Tensor x = GradCheck.random(new Random(seed), DType.FLOAT32, -1, 1, c.shape());
            List<double[]> expected = RecurrentUnrollingTest.run(c.model(), x);
            List<double[]> actual = RecurrentUnrollingTest.run(low, x);
            List<double[]> actual16 = RecurrentUnrollingTest.run(at16, x);
            for (int i = 0; i < actual.size(); i++) {
                assertThat(actual16.get(i)).as(c + " output " + i + " at opset 16").containsExactly(actual.get(i));
            }
            for (int i = 0; i < expected.size(); i++) {
                if (c.name().equals("batchnorm7_per_element")) {
                    // arithmetic ops instead of ONNX Runtime's fused kernel: equal up to float32 rounding
                    GradCheck.assertClose(c + " output " + i, actual.get(i), expected.get(i), 1e-6);
                } else {
                    assertThat(actual.get(i)).as(c + " output " + i).containsExactly(expected.get(i));
                }
            }
        }
    }

    /** An opset-9 network of ops whose forms moved: BatchNormalization, Clip, Pad, Slice, Squeeze, ReduceMean, Split. */
    private static ModelProto opset9Network() {
        return TestModels.opset(9).input("x", FLOAT, -1, 3, 4, 4)
                .random("scale", FLOAT, RND, 0.5, 1.5, 3).random("bias", FLOAT, RND, -1, 1, 3)
                .random("mean", FLOAT, RND, -0.5, 0.5, 3).random("var", FLOAT, RND, 0.2, 2, 3)
                .random("W", FLOAT, RND, -1, 1, 4, 2)
                .node("BatchNormalization", List.of("x", "scale", "bias", "mean", "var"), List.of("bn"))
                .node("Clip", "bn", "clipped", Attr.f("min", -4f), Attr.f("max", 4f))
                .node("Pad", "clipped", "padded", Attr.ints("pads", 0, 0, 1, 0, 0, 0, 0, 1))
                .node("Slice", "padded", "sliced", Attr.ints("starts", 1), Attr.ints("ends", 5), Attr.ints("axes", 2))
                .node("ReduceMean", List.of("sliced"), List.of("mean_w"), Attr.ints("axes", 3), Attr.i("keepdims", 1))
                .node("Squeeze", List.of("mean_w"), List.of("sq"), Attr.ints("axes", 3))
                .node("Split", List.of("sq"), List.of("a", "b"), Attr.i("axis", 2), Attr.ints("split", 1, 3))
                .node("Tanh", "b", "tb")
                .node("Unsqueeze", List.of("tb"), List.of("un"), Attr.ints("axes", 0))
                .node("Dropout", List.of("un"), List.of("dropped"), Attr.f("ratio", 0.2f))
                .node("Squeeze", List.of("dropped"), List.of("flat"), Attr.ints("axes", 0))
                .node("MatMul", List.of("flat", "a"), List.of("y"))
                .output("y", FLOAT).build();
    }

    @Test
    void opset9Network_gradientMatchesFiniteDifferences() {
        ModelProto m = opset9Network();
        GradCheck.checkInputGradient(m, GradCheck.random(new Random(2), DType.FLOAT32, -1, 1, 2, 3, 4, 4), 1e-2, 2e-3);
    }

    @Test
    void opsetBelow7_isRefusedWithTheSupportedRange() {
        ModelProto m = unary(6, "Tanh", new long[] {2, 3});
        assertThatThrownBy(() -> new BackwardGraphBuilder().build(m, BackwardSpec.inputGradient("x", "y", 2, 3)))
                .isInstanceOf(Explain4jException.class).hasMessageContaining("opset 6")
                .hasMessageContaining("opsets 7 to 21");
    }
}
