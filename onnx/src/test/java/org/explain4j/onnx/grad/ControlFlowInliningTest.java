package org.explain4j.onnx.grad;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.explain4j.onnx.grad.TestModels.FLOAT;
import static org.explain4j.onnx.grad.TestModels.INT64;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.AttributeProto.AttributeType;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import ai.onnxruntime.OrtEnvironment;
import java.util.List;
import java.util.Random;
import org.explain4j.core.DType;
import org.explain4j.core.ErrorKind;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Tensor;
import org.junit.jupiter.api.Test;

/** If folded on a known condition, Loop and Scan unrolled: the same outputs as ONNX Runtime, exact gradients. */
class ControlFlowInliningTest {
    private final Random rnd = new Random(41);

    // ---- building subgraphs ----

    private static ValueInfoProto value(String name, int type) {
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder()
                .setTensorType(TypeProto.Tensor.newBuilder().setElemType(type))).build();
    }

    private static ValueInfoProto scalar(String name, int type) {
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder()
                .setTensorType(TypeProto.Tensor.newBuilder().setElemType(type)
                        .setShape(ai.onnx.proto.OnnxMl.TensorShapeProto.newBuilder()))).build();
    }

    private static NodeProto node(String op, List<String> in, String out, AttributeProto... attrs) {
        return NodeProto.newBuilder().setOpType(op).setName(op + "_" + out).addAllInput(in).addOutput(out)
                .addAllAttribute(List.of(attrs)).build();
    }

    private static AttributeProto graph(String name, GraphProto g) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeType.GRAPH).setG(g).build();
    }

    private static TensorProto bool(String name, boolean v) {
        return TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.BOOL_VALUE)
                .addInt32Data(v ? 1 : 0).build();
    }

    private static ModelProto withInitializer(ModelProto m, TensorProto t) {
        ModelProto.Builder b = m.toBuilder();
        b.getGraphBuilder().addInitializer(t);
        return b.build();
    }

    /** then: tanh(x W + b_local) with a branch initializer; else: sigmoid(x * x). */
    private static List<AttributeProto> branches() {
        GraphProto then = GraphProto.newBuilder().setName("then")
                .addInitializer(TensorProtos.floats("b_local", FLOAT, new long[] {3}, 0.3, -0.2, 0.1))
                .addNode(node("MatMul", List.of("x", "W"), "t1"))
                .addNode(node("Add", List.of("t1", "b_local"), "t2"))
                .addNode(node("Tanh", List.of("t2"), "yt"))
                .addOutput(value("yt", FLOAT)).build();
        GraphProto otherwise = GraphProto.newBuilder().setName("else")
                .addNode(node("Mul", List.of("x", "x"), "e1"))
                .addNode(node("Sigmoid", List.of("e1"), "ye"))
                .addOutput(value("ye", FLOAT)).build();
        return List.of(graph("then_branch", then), graph("else_branch", otherwise));
    }

    /** {@code y = 2 * If(cond)} where cond is the constant {@code value}. */
    private ModelProto constantIf(boolean value) {
        ModelProto m = TestModels.opset(14).input("x", FLOAT, -1, 3).random("W", FLOAT, rnd, -1, 1, 3, 3)
                .init("two", FLOAT, new long[0], 2)
                .node("If", List.of("cond"), List.of("branch"), branches().toArray(AttributeProto[]::new))
                .node("Mul", List.of("branch", "two"), List.of("y")).output("y", FLOAT).build();
        return withInitializer(m, bool("cond", value));
    }

    /** The condition is {@code batch > 1}: computed in the graph from the input's shape only. */
    private ModelProto shapeIf() {
        return TestModels.opset(14).input("x", FLOAT, -1, 3).random("W", FLOAT, rnd, -1, 1, 3, 3)
                .longs("zero", new long[0], 0).longs("one", new long[0], 1)
                .node("Shape", "x", "shape")
                .node("Gather", List.of("shape", "zero"), List.of("batch"), Attr.i("axis", 0))
                .node("Greater", List.of("batch", "one"), List.of("cond"))
                .node("If", List.of("cond"), List.of("y"), branches().toArray(AttributeProto[]::new))
                .output("y", FLOAT).build();
    }

    private static ModelProto lowered(ModelProto model, int... shape) {
        return GraphLowering.lower(OrtEnvironment.getEnvironment(), model,
                BackwardSpec.inputGradient("x", model.getGraph().getOutput(0).getName(), shape)).model();
    }

    /** Asserts that the lowered model has none of {@code ops} and the same outputs as the model on two inputs. */
    private static void assertSameOutputs(ModelProto model, int[] shape, String... ops) {
        ModelProto low = lowered(model, shape);
        for (String op : ops) {
            assertThat(low.getGraph().getNodeList()).as("no %s left", op).noneMatch(n -> n.getOpType().equals(op));
        }
        for (long seed = 1; seed <= 2; seed++) {
            Tensor x = GradCheck.random(new Random(seed), DType.FLOAT32, -1, 1, shape);
            List<double[]> expected = RecurrentUnrollingTest.run(model, x);
            List<double[]> actual = RecurrentUnrollingTest.run(low, x);
            for (int i = 0; i < expected.size(); i++) {
                GradCheck.assertClose("output " + i, actual.get(i), expected.get(i), 1e-6);
            }
        }
    }

    private static void assertGradient(ModelProto model, int... shape) {
        GradCheck.checkInputGradient(model, GradCheck.random(new Random(3), DType.FLOAT32, -1, 1, shape), 1e-2, 2e-3);
    }

    // ---- If ----

    @Test
    void ifOnAConstantCondition_inlinesTheTakenBranch() {
        for (boolean cond : new boolean[] {true, false}) {
            ModelProto m = constantIf(cond);
            assertSameOutputs(m, new int[] {2, 3}, "If");
            assertGradient(m, 2, 3);
        }
    }

    @Test
    void ifOnAShapeCondition_takesTheBranchOfTheGivenShape() {
        ModelProto m = shapeIf();
        assertSameOutputs(m, new int[] {2, 3}, "If");
        assertSameOutputs(m, new int[] {1, 3}, "If");
        assertThat(lowered(m, 2, 3).getGraph().getNodeList()).anyMatch(n -> n.getOpType().equals("Tanh"));
        assertThat(lowered(m, 1, 3).getGraph().getNodeList()).anyMatch(n -> n.getOpType().equals("Sigmoid"))
                .noneMatch(n -> n.getOpType().equals("Tanh"));
        assertGradient(m, 2, 3);
        assertGradient(m, 1, 3);
    }

    @Test
    void nestedIf_isInlinedLevelByLevel() {
        GraphProto inner = GraphProto.newBuilder().setName("outer_then")
                .addNode(NodeProto.newBuilder().setOpType("If").setName("inner").addInput("cond").addOutput("inner_y")
                        .addAllAttribute(branches()))
                .addNode(node("Neg", List.of("inner_y"), "outer_y"))
                .addOutput(value("outer_y", FLOAT)).build();
        GraphProto unused = GraphProto.newBuilder().setName("outer_else").addNode(node("Identity", List.of("x"), "id"))
                .addOutput(value("id", FLOAT)).build();
        ModelProto m = withInitializer(TestModels.opset(14).input("x", FLOAT, -1, 3)
                .random("W", FLOAT, rnd, -1, 1, 3, 3)
                .node("If", List.of("cond"), List.of("y"), graph("then_branch", inner), graph("else_branch", unused))
                .output("y", FLOAT).build(), bool("cond", true));
        assertSameOutputs(m, new int[] {2, 3}, "If");
        assertGradient(m, 2, 3);
    }

    @Test
    void ifThatDoesNotDependOnTheInput_isLeftToOnnxRuntime() {
        // the If computes a bias from initializers only: no gradient flows through it
        GraphProto then = GraphProto.newBuilder().setName("then").addNode(node("Neg", List.of("b"), "nb"))
                .addOutput(value("nb", FLOAT)).build();
        GraphProto otherwise = GraphProto.newBuilder().setName("else").addNode(node("Identity", List.of("b"), "ib"))
                .addOutput(value("ib", FLOAT)).build();
        ModelProto m = withInitializer(TestModels.opset(14).input("x", FLOAT, -1, 3)
                .random("W", FLOAT, rnd, -1, 1, 3, 3).random("b", FLOAT, rnd, -1, 1, 3)
                .node("If", List.of("cond"), List.of("bias"), graph("then_branch", then), graph("else_branch", otherwise))
                .node("MatMul", List.of("x", "W"), List.of("xw")).node("Add", List.of("xw", "bias"), List.of("pre"))
                .node("Tanh", "pre", "y").output("y", FLOAT).build(), bool("cond", true));
        assertThat(lowered(m, 2, 3)).isSameAs(m);
        assertGradient(m, 2, 3);
    }

    @Test
    void ifOnAConditionOfTheInput_failsNamingTheCondition() {
        ModelProto m = TestModels.opset(14).input("x", FLOAT, -1, 3).random("W", FLOAT, rnd, -1, 1, 3, 3)
                .init("zero", FLOAT, new long[0], 0)
                .node("ReduceSum", List.of("x"), List.of("total"), Attr.i("keepdims", 0))
                .node("Greater", List.of("total", "zero"), List.of("cond"))
                .node("If", List.of("cond"), List.of("y"), branches().toArray(AttributeProto[]::new))
                .output("y", FLOAT).build();
        assertThatThrownBy(() -> assertGradient(m, 2, 3)).isInstanceOf(Explain4jException.class)
                .hasMessageContaining("If").hasMessageContaining("condition 'cond' depends on the explained input")
                .satisfies(e -> assertThat(((Explain4jException) e).kind()).isEqualTo(ErrorKind.UNSUPPORTED));
    }

    // ---- Loop ----

    /** h <- tanh(h W + i) three times from h = x, scanning h * x; y = h + sum of the scans. */
    private ModelProto loop(String trip, String cond, boolean bodyStops) {
        GraphProto.Builder body = GraphProto.newBuilder().setName("body")
                .addInput(scalar("i", INT64)).addInput(scalar("c_in", TensorProto.DataType.BOOL_VALUE))
                .addInput(value("h_in", FLOAT))
                .addNode(node("Cast", List.of("i"), "fi", Attr.i("to", FLOAT)))
                .addNode(node("MatMul", List.of("h_in", "W"), "hw"))
                .addNode(node("Add", List.of("hw", "fi"), "pre"))
                .addNode(node("Tanh", List.of("pre"), "h_out"))
                .addNode(node("Mul", List.of("h_out", "x"), "s"));
        if (bodyStops) {
            body.addNode(node("ReduceSum", List.of("h_out"), "total", Attr.i("keepdims", 0)))
                    .addNode(node("Less", List.of("total", "zero"), "c_out"));
        } else {
            body.addNode(node("Identity", List.of("c_in"), "c_out"));
        }
        body.addOutput(value("c_out", TensorProto.DataType.BOOL_VALUE)).addOutput(value("h_out", FLOAT))
                .addOutput(value("s", FLOAT));
        ModelProto m = TestModels.opset(14).input("x", FLOAT, -1, 3).random("W", FLOAT, rnd, -1, 1, 3, 3)
                .longs("three", new long[0], 3).longs("axes0", null, 0).init("zero", FLOAT, new long[0], 0)
                .node("ReduceSum", List.of("x"), List.of("xs"), Attr.i("keepdims", 0))
                .node("Cast", List.of("xs"), List.of("from_x"), Attr.i("to", INT64))
                .node("Loop", List.of(trip, cond, "x"), List.of("h", "scans"), graph("body", body.build()))
                .node("ReduceSum", List.of("scans", "axes0"), List.of("scan_sum"), Attr.i("keepdims", 0))
                .node("Add", List.of("h", "scan_sum"), List.of("y"))
                .output("y", FLOAT).output("scans", FLOAT).build();
        return withInitializer(m, bool("true", true));
    }

    @Test
    void loopWithAKnownTripCount_isUnrolledWithCarriedValuesAndScanOutputs() {
        ModelProto m = loop("three", "true", false);
        assertSameOutputs(m, new int[] {2, 3}, "Loop");
        assertThat(lowered(m, 2, 3).getGraph().getNodeList().stream().filter(n -> n.getOpType().equals("Tanh")))
                .hasSize(3);
        assertGradient(m, 2, 3);
    }

    @Test
    void ifInsideALoopBody_readsTheValuesOfItsOwnIteration() {
        // the branches read the body's input and a tensor the body computes: both renamed per copy
        GraphProto then = GraphProto.newBuilder().setName("then")
                .addNode(node("Mul", List.of("h_in", "hw"), "prod")).addNode(node("Tanh", List.of("prod"), "bt"))
                .addOutput(value("bt", FLOAT)).build();
        GraphProto otherwise = GraphProto.newBuilder().setName("else")
                .addNode(node("Sigmoid", List.of("hw"), "bs")).addOutput(value("bs", FLOAT)).build();
        GraphProto body = GraphProto.newBuilder().setName("body")
                .addInput(scalar("i", INT64)).addInput(scalar("c_in", TensorProto.DataType.BOOL_VALUE))
                .addInput(value("h_in", FLOAT))
                .addNode(node("MatMul", List.of("h_in", "W"), "hw"))
                .addNode(NodeProto.newBuilder().setOpType("If").setName("choose").addInput("flag").addOutput("h_out")
                        .addAttribute(graph("then_branch", then)).addAttribute(graph("else_branch", otherwise)))
                .addNode(node("Identity", List.of("c_in"), "c_out"))
                .addOutput(value("c_out", TensorProto.DataType.BOOL_VALUE)).addOutput(value("h_out", FLOAT)).build();
        for (boolean flag : new boolean[] {true, false}) {
            ModelProto m = TestModels.opset(14).input("x", FLOAT, -1, 3).random("W", FLOAT, rnd, -1, 1, 3, 3)
                    .longs("two", new long[0], 2)
                    .node("Loop", List.of("two", "true", "x"), List.of("y"), graph("body", body))
                    .output("y", FLOAT).build();
            m = withInitializer(withInitializer(m, bool("true", true)), bool("flag", flag));
            assertSameOutputs(m, new int[] {2, 3}, "Loop", "If");
            assertGradient(m, 2, 3);
        }
    }

    @Test
    void loopWhoseTripCountDependsOnTheInput_failsNamingIt() {
        ModelProto m = loop("from_x", "true", false);
        assertThatThrownBy(() -> assertGradient(m, 2, 3)).isInstanceOf(Explain4jException.class)
                .hasMessageContaining("Loop").hasMessageContaining("trip count 'from_x' depends on the explained input");
    }

    @Test
    void loopThatStopsOnItsOwnCondition_failsWithUnknownTripCount() {
        ModelProto m = loop("three", "true", true);
        assertThatThrownBy(() -> assertGradient(m, 2, 3)).isInstanceOf(Explain4jException.class)
                .hasMessageContaining("the number of iterations is unknown");
        ModelProto unbounded = loop("", "true", true);
        assertThatThrownBy(() -> assertGradient(unbounded, 2, 3)).isInstanceOf(Explain4jException.class)
                .hasMessageContaining("no maximum trip count");
    }

    // ---- Scan ----

    /** acc <- tanh(acc * w + x_t), scanning 2 acc; input directions and output axes as given. */
    private ModelProto scan(long inputDirection, long outputAxis) {
        GraphProto body = GraphProto.newBuilder().setName("scan_body")
                .addInput(value("acc_in", FLOAT)).addInput(value("xt", FLOAT))
                .addNode(node("Mul", List.of("acc_in", "w"), "aw"))
                .addNode(node("Add", List.of("aw", "xt"), "pre"))
                .addNode(node("Tanh", List.of("pre"), "acc_out"))
                .addNode(node("Mul", List.of("acc_out", "two"), "out_t"))
                .addOutput(value("acc_out", FLOAT)).addOutput(value("out_t", FLOAT)).build();
        return TestModels.opset(14).input("x", FLOAT, 4, 3).random("w", FLOAT, rnd, -1, 1, 3)
                .init("two", FLOAT, new long[0], 2).init("acc0", FLOAT, new long[] {3}, 0.1, -0.2, 0.3)
                .node("Scan", List.of("acc0", "x"), List.of("acc", "ys"), graph("body", body),
                        Attr.i("num_scan_inputs", 1), Attr.ints("scan_input_directions", inputDirection),
                        Attr.ints("scan_output_axes", outputAxis))
                .output("ys", FLOAT).output("acc", FLOAT).build();
    }

    @Test
    void scan_isUnrolledInBothDirectionsAndOutputAxes() {
        for (long[] variant : new long[][] {{0, 0}, {1, 1}}) {
            ModelProto m = scan(variant[0], variant[1]);
            assertSameOutputs(m, new int[] {4, 3}, "Scan");
            assertGradient(m, 4, 3);
        }
    }
}
