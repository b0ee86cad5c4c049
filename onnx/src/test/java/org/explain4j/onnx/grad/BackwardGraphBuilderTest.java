package org.explain4j.onnx.grad;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.explain4j.onnx.grad.TestModels.DOUBLE;
import static org.explain4j.onnx.grad.TestModels.FLOAT;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.explain4j.core.DType;
import org.explain4j.core.ErrorKind;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Tensor;
import org.explain4j.core.grad.RuleSet;
import org.junit.jupiter.api.Test;

/** The structure of built graphs, pruning, opsets and the unsupported-op error. */
class BackwardGraphBuilderTest {
    private final Random rnd = new Random(41);
    private final BackwardGraphBuilder builder = new BackwardGraphBuilder();

    private ModelProto mlp(int opset) {
        return TestModels.opset(opset).input("x", FLOAT, -1, 4)
                .random("W1", FLOAT, rnd, -1, 1, 4, 5).random("W2", FLOAT, rnd, -1, 1, 5, 3)
                .node("MatMul", List.of("x", "W1"), List.of("/l1/out"))
                .node("Relu", "/l1/out", "h")
                .node("MatMul", List.of("h", "W2"), List.of("y")).output("y", FLOAT).build();
    }

    private static long count(ModelProto m, String op) {
        return m.getGraph().getNodeList().stream().filter(n -> n.getOpType().equals(op)).count();
    }

    @Test
    void theGraphHasTheSeedFeedsGradientsAndActivationsAsInputsAndOutputs() {
        ModelProto model = mlp(13);
        byte[] before = model.toByteArray();
        BackwardGraph g = builder.build(model, new BackwardSpec("x", "y", new int[] {3, 4}, List.of("x", "h"),
                List.of("/l1/out"), List.of("h"), RuleSet.gradient()));
        assertThat(model.toByteArray()).isEqualTo(before);
        List<String> inputs = g.model().getGraph().getInputList().stream().map(ValueInfoProto::getName).toList();
        List<String> outputs = g.model().getGraph().getOutputList().stream().map(ValueInfoProto::getName).toList();
        assertThat(inputs).containsExactly("x", "explain4j_seed", "explain4j_feed__h");
        assertThat(outputs).containsExactly("y", "explain4j_grad__x", "explain4j_grad__h", "explain4j_act___l1_out");
        assertThat(g.gradientOutputs()).containsEntry("x", "explain4j_grad__x").containsEntry("h", "explain4j_grad__h");
        assertThat(g.activationOutputs()).containsEntry("/l1/out", "explain4j_act___l1_out");
        assertThat(g.feedMetas().get("h").shape()).containsExactly(3, 5);
        // specialised to the concrete shape
        assertThat(g.model().getGraph().getInput(0).getType().getTensorType().getShape().getDim(0).getDimValue())
                .isEqualTo(3);
        assertThat(g.opset()).isEqualTo(13);
    }

    @Test
    void onlyTheRequestedVjpsAreComputedNeverWeightGradients() {
        BackwardGraph g = builder.build(mlp(13), BackwardSpec.inputGradient("x", "y", 2, 4));
        // forward: 2 MatMuls; backward: one per layer, for the activation only (none for W1, W2)
        assertThat(count(g.model(), "MatMul")).isEqualTo(4);
        // a gradient at h only needs the last layer's backward
        BackwardGraph h = builder.build(mlp(13), new BackwardSpec("x", "y", new int[] {2, 4}, List.of("h"),
                List.of(), List.of(), RuleSet.gradient()));
        assertThat(count(h.model(), "MatMul")).isEqualTo(3);
        assertThat(count(h.model(), "Where")).isZero();
    }

    @Test
    void anOpWithoutARuleOnTheGradientPathFailsWithOneClearLine() {
        ModelProto m = TestModels.opset(17).input("x", FLOAT, 2, 3).node("Atan", "x", "s").node("Tanh", "s", "y")
                .output("y", FLOAT).build();
        assertThatThrownBy(() -> builder.build(m, BackwardSpec.inputGradient("x", "y", 2, 3)))
                .isInstanceOfSatisfying(Explain4jException.class, e -> {
                    assertThat(e.kind()).isEqualTo(ErrorKind.UNSUPPORTED);
                    assertThat(e.getMessage()).contains("Atan", "Atan_0", "opset 17", "occlusion", "feature-ablation",
                            "shapley-value-sampling", "kernel-shap", "lime").doesNotContain("\n");
                });
    }

    @Test
    void opsOffTheGradientPathNeedNoRule() {
        // Sin of a constant, ArgMax and a Cast to an integer type carry no gradient
        ModelProto m = TestModels.opset(17).input("x", DOUBLE, 2, 3).random("k", DOUBLE, rnd, -1, 1, 3)
                .node("Sin", "k", "s").node("Mul", List.of("x", "s"), List.of("a"))
                .node("ArgMax", List.of("x"), List.of("am"), Attr.i("axis", 1))
                .node("Cast", List.of("am"), List.of("af"), Attr.i("to", DOUBLE))
                .node("Mul", List.of("a", "af"), List.of("b"))
                .init("ten", DOUBLE, new long[0], 10)
                .node("Mul", List.of("x", "ten"), List.of("x10"))
                .node("Cast", List.of("x10"), List.of("xi"), Attr.i("to", TestModels.INT64))
                .node("Cast", List.of("xi"), List.of("xf"), Attr.i("to", DOUBLE))
                .node("Mul", List.of("b", "xf"), List.of("y")).output("y", DOUBLE).build();
        GradCheck.checkInputGradient(m, GradCheck.random(rnd, DType.FLOAT64, -1, 1, 2, 3), 1e-6, 1e-6);
    }

    @Test
    void dropoutInTrainingModeIsRefused() {
        ModelProto m = TestModels.opset(13).input("x", FLOAT, 2, 3)
                .init("ratio", FLOAT, new long[0], 0.5)
                .node("Constant", List.of(), List.of("train"), Attr.t("value", ai.onnx.proto.OnnxMl.TensorProto
                        .newBuilder().setDataType(ai.onnx.proto.OnnxMl.TensorProto.DataType.BOOL_VALUE)
                        .addInt32Data(1).build()))
                .node("Dropout", List.of("x", "ratio", "train"), List.of("y")).output("y", FLOAT).build();
        assertThatThrownBy(() -> builder.build(m, BackwardSpec.inputGradient("x", "y", 2, 3)))
                .isInstanceOfSatisfying(Explain4jException.class, e -> assertThat(e.kind()).isEqualTo(ErrorKind.UNSUPPORTED))
                .hasMessageContaining("training mode");
    }

    @Test
    void opsetsOutsideSevenToTwentyOneAreRefused() {
        for (int opset : new int[] {6, 22}) {
            ModelProto m = TestModels.unary(opset, "Relu", FLOAT, new long[] {1, 2});
            assertThatThrownBy(() -> builder.build(m, BackwardSpec.inputGradient("x", "y", 1, 2)))
                    .isInstanceOfSatisfying(Explain4jException.class,
                            e -> assertThat(e.kind()).isEqualTo(ErrorKind.UNSUPPORTED))
                    .hasMessageContaining("opset " + opset).hasMessageContaining("7 to 21");
        }
    }

    @Test
    void theOpsetIsRaisedOnlyWhenAnEmittedOpNeedsIt() {
        ModelProto pool = TestModels.opset(13).input("x", FLOAT, 1, 1, 4, 4)
                .node("MaxPool", List.of("x"), List.of("y"), Attr.ints("kernel_shape", 2, 2)).output("y", FLOAT).build();
        BackwardGraph g = builder.build(pool, BackwardSpec.inputGradient("x", "y", 1, 1, 4, 4));
        assertThat(g.opset()).isEqualTo(16);
        assertThat(g.model().getOpsetImport(0).getVersion()).isEqualTo(16);
        NodeProto maxPool = g.model().getGraph().getNodeList().stream().filter(n -> n.getOpType().equals("MaxPool"))
                .findFirst().orElseThrow();
        assertThat(maxPool.getOutputCount()).isEqualTo(2);
        assertThat(builder.build(mlp(12), BackwardSpec.inputGradient("x", "y", 2, 4)).opset()).isEqualTo(12);
    }

    @Test
    void unknownInputOutputAndTensorNamesAreUsageErrors() {
        ModelProto m = mlp(13);
        assertThatThrownBy(() -> builder.build(m, BackwardSpec.inputGradient("nope", "y", 2, 4)))
                .hasMessageContaining("no input named 'nope'");
        assertThatThrownBy(() -> builder.build(m, BackwardSpec.inputGradient("x", "nope", 2, 4)))
                .hasMessageContaining("no output named 'nope'");
        assertThatThrownBy(() -> builder.build(m, new BackwardSpec("x", "y", new int[] {2, 4}, List.of(), List.of(),
                List.of("x"), RuleSet.gradient())))
                .isInstanceOfSatisfying(Explain4jException.class, e -> assertThat(e.kind()).isEqualTo(ErrorKind.USAGE))
                .hasMessageContaining("cannot be fed");
        assertThatThrownBy(() -> builder.build(m, BackwardSpec.inputGradient("x", "y", 2, 5)))
                .isInstanceOfSatisfying(Explain4jException.class, e -> assertThat(e.kind()).isEqualTo(ErrorKind.SHAPE));
    }

    @Test
    void anOverrideWithoutARegisteredRuleFailsClearly() {
        RuleSet guided = new RuleSet("guided-backprop", List.of(new RuleSet.Assignment(
                new RuleSet.Selector.OpType("Relu"), "guided-relu", Map.of())));
        assertThatThrownBy(() -> builder.build(mlp(13), new BackwardSpec("x", "y", new int[] {2, 4}, List.of("x"),
                List.of(), List.of(), guided)))
                .isInstanceOfSatisfying(Explain4jException.class, e -> assertThat(e.kind()).isEqualTo(ErrorKind.UNSUPPORTED))
                .hasMessageContaining("guided-backprop").hasMessageContaining("'guided-relu'")
                .hasMessageContaining("Relu");
    }

    @Test
    void overridesDispatchToTheRuleRegisteredUnderTheirName() {
        // a rule that passes the gradient through a Relu unmasked, scaled by a parameter
        OpRule scaled = c -> c.addGrad(0, c.op("Mul", c.grad(0), c.scalar(c.param("factor", 1), c.inputType(0))));
        RuleRegistry registry = RuleRegistry.defaults().withRule("scaled", "Relu", scaled);
        ModelProto m = TestModels.opset(13).input("x", DOUBLE, 1, 2)
                .node("Relu", "x", "r1").node("Relu", "r1", "y").output("y", DOUBLE).build();
        Tensor x = Tensor.ofDoubles(new double[] {-1, 2}, 1, 2);
        Tensor seed = Tensor.ofDoubles(new double[] {1, 1}, 1, 2);
        Map<RuleSet.Selector, double[]> expected = Map.of(
                new RuleSet.Selector.OpType("Relu"), new double[] {9, 9},
                new RuleSet.Selector.FirstLayer(List.of("Relu")), new double[] {0, 3},
                new RuleSet.Selector.TensorName("y"), new double[] {0, 3});
        for (Map.Entry<RuleSet.Selector, double[]> e : expected.entrySet()) {
            RuleSet rules = new RuleSet("scaled", List.of(new RuleSet.Assignment(e.getKey(), "scaled",
                    Map.of("factor", 3.0))));
            BackwardGraph g = new BackwardGraphBuilder(registry).build(m, new BackwardSpec("x", "y", new int[] {1, 2},
                    List.of("x"), List.of(), List.of(), rules));
            assertThat(Run.inputGradient(g, x, seed)).as(e.getKey().toString()).containsExactly(e.getValue());
        }
    }
}
