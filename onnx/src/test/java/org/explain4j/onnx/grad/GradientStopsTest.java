package org.explain4j.onnx.grad;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.explain4j.onnx.grad.TestModels.DOUBLE;
import static org.explain4j.onnx.grad.TestModels.FLOAT;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.explain4j.core.DType;
import org.explain4j.core.ErrorKind;
import org.explain4j.core.Explain4jException;
import org.explain4j.onnx.grad.rules.DefaultRules;
import org.junit.jupiter.api.Test;

/** Where the gradient stops without a rule, Dropout as the identity, and the error naming every op without a rule. */
class GradientStopsTest {
    private final Random rnd = new Random(71);

    /** A registry with only the default rules of these ops. */
    private static RuleRegistry only(String... ops) {
        Map<String, OpRule> all = DefaultRules.all();
        RuleRegistry r = RuleRegistry.empty();
        for (String op : ops) {
            r = r.withGradient(op, all.get(op));
        }
        return r;
    }

    private static TensorProto boolScalar(boolean v) {
        return TensorProto.newBuilder().setDataType(TensorProto.DataType.BOOL_VALUE).addInt32Data(v ? 1 : 0).build();
    }

    @Test
    void integerBooleanAndShapeOnlyOutputs_stopTheGradientWithoutRules() {
        // every op below but Mul, Add and Tanh lacks a rule in the registry: comparisons, Not/And/Or,
        // ArgMax, TopK indices, integer arithmetic, Shape, Size, Range, ConstantOfShape, EyeLike, NonZero
        ModelProto m = TestModels.opset(13).input("x", DOUBLE, 2, 3)
                .init("zero", DOUBLE, new long[0], 0)
                .node("Greater", List.of("x", "zero"), List.of("pos"))
                .node("Not", "pos", "neg")
                .node("Or", List.of("pos", "neg"), List.of("any"))
                .node("And", List.of("pos", "any"), List.of("both"))
                .node("Cast", List.of("both"), List.of("mask"), Attr.i("to", DOUBLE))
                .node("Mul", List.of("x", "mask"), List.of("a"))
                .node("ArgMax", List.of("x"), List.of("am"), Attr.i("axis", 1))
                .longs("k", null, 2)
                .node("TopK", List.of("x", "k"), List.of("tv", "ti"), Attr.i("axis", 1))
                .node("ReduceSum", List.of("ti"), List.of("tis"), Attr.i("keepdims", 0))
                .node("Mul", List.of("am", "tis"), List.of("ints"))
                .node("Size", "x", "size")
                .longs("start", new long[0], 0).longs("step", new long[0], 1)
                .node("Range", List.of("start", "size", "step"), List.of("range"))
                .node("Shape", "x", "shape")
                .node("ConstantOfShape", List.of("shape"), List.of("ones"), Attr.t("value",
                        TensorProtos.floats("", DOUBLE, new long[] {1}, 1.0)))
                .node("EyeLike", "x", "eye")
                .node("Cast", List.of("eye"), List.of("eyeb"), Attr.i("to", TensorProto.DataType.BOOL_VALUE))
                .node("NonZero", "eyeb", "nz")
                .node("ReduceSum", List.of("nz"), List.of("nzs"), Attr.i("keepdims", 0))
                .node("ReduceSum", List.of("range"), List.of("rs"), Attr.i("keepdims", 0))
                .node("Add", List.of("ints", "nzs"), List.of("i1"))
                .node("Add", List.of("i1", "rs"), List.of("i2"))
                .node("Cast", List.of("i2"), List.of("f"), Attr.i("to", DOUBLE))
                .node("Add", List.of("a", "f"), List.of("b"))
                .node("Mul", List.of("b", "ones"), List.of("c"))
                .node("Add", List.of("c", "eye"), List.of("d"))
                .node("Tanh", "d", "y").output("y", DOUBLE).build();
        try (OnnxDifferentiableModel loaded = GradCheck.load(m);
             OnnxDifferentiableModel dm = new OnnxDifferentiableModel(loaded.model(), only("Mul", "Add", "Tanh"))) {
            GradCheck.checkInputGradient(dm, GradCheck.random(rnd, DType.FLOAT64, -1, 1, 2, 3), 1e-6, 1e-6, rnd);
            loaded.model().close();
        }
    }

    @Test
    void dropoutWithRatioZeroInTrainingMode_isTheIdentity() {
        // torchvision's Swin: Dropout(ratio=0, training_mode=True); the ratio as an initializer and as a Constant
        ModelProto m = TestModels.opset(13).input("x", FLOAT, 2, 3)
                .init("ratio", FLOAT, new long[0], 0)
                .node("Constant", List.of(), List.of("train"), Attr.t("value", boolScalar(true)))
                .node("Constant", List.of(), List.of("ratio2"), Attr.f("value_float", 0f))
                .node("Dropout", List.of("x", "ratio", "train"), List.of("d"))
                .node("Dropout", List.of("d", "ratio2", "train"), List.of("e", "mask"))
                .node("Tanh", "e", "y").output("y", FLOAT).build();
        GradCheck.checkInputGradient(m, GradCheck.random(rnd, DType.FLOAT32, -1, 1, 2, 3), 1e-2, 2e-3);
    }

    @Test
    void dropoutInTrainingModeWithAPositiveOrUnknownRatio_isRefusedNamingTheRatio() {
        for (String ratio : new String[] {"half", ""}) {
            ModelProto m = TestModels.opset(13).input("x", FLOAT, 2, 3)
                    .init("half", FLOAT, new long[0], 0.5)
                    .node("Constant", List.of(), List.of("train"), Attr.t("value", boolScalar(true)))
                    .node("Dropout", List.of("x", ratio, "train"), List.of("y")).output("y", FLOAT).build();
            assertThatThrownBy(() -> new BackwardGraphBuilder().build(m, BackwardSpec.inputGradient("x", "y", 2, 3)))
                    .isInstanceOfSatisfying(Explain4jException.class,
                            e -> assertThat(e.kind()).isEqualTo(ErrorKind.UNSUPPORTED))
                    .hasMessageContaining("training mode").hasMessageContaining("ratio 0.5")
                    .hasMessageContaining("eval mode");
        }
    }

    @Test
    void severalOpsWithoutARule_areAllNamedInOneLine() {
        ModelProto m = TestModels.opset(13).input("x", DOUBLE, 2, 3)
                .node("Sin", "x", "s1").node("Cos", "s1", "c1").node("Sin", "c1", "s2")
                .node("Tanh", "s2", "y").output("y", DOUBLE).build();
        BackwardGraphBuilder b = new BackwardGraphBuilder(only("Tanh"));
        assertThatThrownBy(() -> b.build(m, BackwardSpec.inputGradient("x", "y", 2, 3)))
                .isInstanceOfSatisfying(Explain4jException.class, e -> {
                    assertThat(e.kind()).isEqualTo(ErrorKind.UNSUPPORTED);
                    assertThat(e.getMessage()).doesNotContain("\n");
                })
                .hasMessageContaining("2 op types")
                .hasMessageContaining("ONNX op Sin (2 nodes, first 'Sin_0', opset 13)")
                .hasMessageContaining("ONNX op Cos (node 'Cos_1', opset 13)")
                .hasMessageContaining("perturbation methods");
    }
}
