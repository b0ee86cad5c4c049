package org.explain4j.onnx.grad;

import static org.assertj.core.api.Assertions.assertThat;
import static org.explain4j.onnx.grad.TestModels.FLOAT;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.AttributeProto.AttributeType;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.explain4j.core.Attribution;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.catalog.MethodCatalog;
import org.explain4j.core.catalog.MethodSpec;
import org.explain4j.core.engine.ProgressListener;
import org.explain4j.core.model.FedInputs;
import org.explain4j.onnx.OnnxModel;
import org.explain4j.onnx.grad.propagation.PropagationRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A fed input larger than {@link OnnxDifferentiableModel#SMALL_FED_INPUT} elements that decides an
 * {@code If}: the lowering folds the If by the fed values, so one process explaining with two
 * different values of it must not reuse the first value's backward graph.
 */
class FoldedFedInputKeyTest {
    @TempDir
    Path dir;

    private static ValueInfoProto value(String name) {
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder()
                .setTensorType(TypeProto.Tensor.newBuilder().setElemType(FLOAT))).build();
    }

    private static AttributeProto graph(String name, GraphProto g) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeType.GRAPH).setG(g).build();
    }

    private static NodeProto node(String op, List<String> in, String out) {
        return NodeProto.newBuilder().setOpType(op).setName(op + "_" + out).addAllInput(in).addOutput(out).build();
    }

    /** y = If(sum(m) > 0) then 2 x else 3 x, with m a fed [1, 100] input. */
    private static ModelProto model() {
        GraphProto then = GraphProto.newBuilder().setName("then")
                .addNode(node("Mul", List.of("x", "two"), "yt")).addOutput(value("yt")).build();
        GraphProto otherwise = GraphProto.newBuilder().setName("else")
                .addNode(node("Mul", List.of("x", "three"), "ye")).addOutput(value("ye")).build();
        return TestModels.opset(14).input("x", FLOAT, -1, 3).input("m", FLOAT, 1, 100)
                .init("zero", FLOAT, new long[0], 0).init("two", FLOAT, new long[0], 2).init("three", FLOAT, new long[0], 3)
                .node("ReduceSum", List.of("m"), List.of("s"), AttributeProto.newBuilder().setName("keepdims")
                        .setType(AttributeType.INT).setI(0).build())
                .node("Greater", List.of("s", "zero"), List.of("cond"))
                .node("If", List.of("cond"), List.of("y"), graph("then_branch", then), graph("else_branch", otherwise))
                .output("y", FLOAT).build();
    }

    private static double[] saliency(OnnxDifferentiableModel grads, Tensor x, float mValue) {
        float[] m = new float[100];
        Arrays.fill(m, mValue);
        MethodSpec spec = MethodCatalog.get("saliency");
        Attribution a = spec.create(grads, spec.bind(Map.of("abs", false)), ProgressListener.NONE)
                .attribute(x, FedInputs.of(Map.of("m", Tensor.ofFloats(m, 1, 100))), Target.of(0, 0));
        return a.values().toDoubleArray();
    }

    @Test
    void aLargeFedInputThatDecidesAnIf_keysTheBackwardGraphByItsValues() throws Exception {
        Path file = MultiInputModels.write(model(), dir.resolve("fed_if.onnx"));
        Tensor x = Tensor.ofFloats(new float[] {0.5f, -1f, 2f, 1f, 0.25f, -0.5f}, 2, 3);
        try (OnnxModel onnx = OnnxModel.load(file, OnnxModel.Options.defaults().withInputName("x"));
             OnnxDifferentiableModel grads = new OnnxDifferentiableModel(onnx, PropagationRegistry.standard())) {
            // target 0: d y0 / d x = (2, 0, 0) per row where sum(m) > 0, (3, 0, 0) where not
            assertThat(saliency(grads, x, 1f)).containsExactly(2, 0, 0, 2, 0, 0);
            assertThat(saliency(grads, x, -1f)).as("the other branch, same shapes").containsExactly(3, 0, 0, 3, 0, 0);
            assertThat(saliency(grads, x, 0.5f)).as("the first branch again").containsExactly(2, 0, 0, 2, 0, 0);
            assertThat(grads.compiledCount()).as("a graph per distinct value").isEqualTo(3);
            assertThat(saliency(grads, x, -1f)).as("a value seen before").containsExactly(3, 0, 0, 3, 0, 0);
            assertThat(grads.compiledCount()).as("reuses that value's graph").isEqualTo(3);
        }
    }

    /** y = x * sum(m): m is read as a value, but decides no If, so its values do not key the graph. */
    private static ModelProto arithmetic() {
        return TestModels.opset(14).input("x", FLOAT, -1, 3).input("m", FLOAT, 1, 100)
                .node("ReduceSum", List.of("m"), List.of("s"), AttributeProto.newBuilder().setName("keepdims")
                        .setType(AttributeType.INT).setI(0).build())
                .node("Mul", List.of("x", "s"), List.of("y"))
                .output("y", FLOAT).build();
    }

    @Test
    void aLargeFedInputThatDecidesNothing_keepsOneGraph_forEveryValue() throws Exception {
        Path file = MultiInputModels.write(arithmetic(), dir.resolve("fed_mul.onnx"));
        Tensor x = Tensor.ofFloats(new float[] {0.5f, -1f, 2f, 1f, 0.25f, -0.5f}, 2, 3);
        try (OnnxModel onnx = OnnxModel.load(file, OnnxModel.Options.defaults().withInputName("x"));
             OnnxDifferentiableModel grads = new OnnxDifferentiableModel(onnx, PropagationRegistry.standard())) {
            assertThat(saliency(grads, x, 1f)).containsExactly(100, 0, 0, 100, 0, 0);
            assertThat(saliency(grads, x, -0.5f)).as("m fed at run time").containsExactly(-50, 0, 0, -50, 0, 0);
            assertThat(grads.compiledCount()).as("keyed by shape only").isEqualTo(1);
        }
    }
}
