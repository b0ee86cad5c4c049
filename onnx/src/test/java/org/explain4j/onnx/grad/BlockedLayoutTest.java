package org.explain4j.onnx.grad;

import static org.assertj.core.api.Assertions.assertThat;
import static org.explain4j.onnx.grad.TestModels.FLOAT;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import java.util.List;
import java.util.Random;
import org.explain4j.core.DType;
import org.explain4j.core.Tensor;
import org.explain4j.core.grad.RuleSet;
import org.junit.jupiter.api.Test;

/**
 * The formulations that keep a CNN's backward pass in ONNX Runtime's blocked layout (float32
 * activations with 16k channels): ReLU masks by per-channel scaling and Clip, the
 * GlobalAveragePool gradient as a depthwise convolution, strided-convolution gradients as phase
 * convolutions brought back by an identity depthwise convolution, MaxPool indices from a second MaxPool. Narrower tensors (the other rule tests) take the
 * plain formulations.
 */
class BlockedLayoutTest {
    private final Random rnd = new Random(23);

    private ModelProto residualCnn() {
        long c = 16;
        return TestModels.opset(13).input("x", FLOAT, -1, 3, 10, 10)
                .random("W1", FLOAT, rnd, -0.5, 0.5, c, 3, 3, 3).random("B1", FLOAT, rnd, -0.2, 0.2, c)
                .random("W2", FLOAT, rnd, -0.3, 0.3, c, c, 3, 3)
                .random("W3", FLOAT, rnd, -0.3, 0.3, c, c, 3, 3)
                .random("F", FLOAT, rnd, -1, 1, 3, c)
                .node("Conv", List.of("x", "W1", "B1"), List.of("c1"), Attr.ints("pads", 1, 1, 1, 1))
                .node("Relu", "c1", "r1")
                .node("MaxPool", List.of("r1"), List.of("p1"), Attr.ints("kernel_shape", 3, 3),
                        Attr.ints("strides", 2, 2), Attr.ints("pads", 1, 1, 1, 1))
                .node("Conv", List.of("p1", "W2"), List.of("c2"), Attr.ints("pads", 1, 1, 1, 1),
                        Attr.ints("strides", 2, 2))
                .node("Relu", "c2", "r2")
                .node("Conv", List.of("r2", "W3"), List.of("c3"), Attr.ints("pads", 1, 1, 1, 1))
                .node("Add", List.of("c3", "r2"), List.of("s"))
                .node("Relu", "s", "r3")
                .node("GlobalAveragePool", "r3", "g")
                .node("Flatten", "g", "f")
                .node("Gemm", List.of("f", "F"), List.of("y"), Attr.i("transB", 1))
                .output("y", FLOAT).build();
    }

    /** The tensors a ReLU mask is computed from: first inputs of depthwise scalings and of Greater. */
    private static List<String> maskedTensors(BackwardGraph g) {
        return g.model().getGraph().getNodeList().stream()
                .filter(n -> n.getOpType().equals("Greater") || n.getOpType().equals("Conv")
                        && n.getAttributeList().stream().anyMatch(a -> a.getName().equals("group") && a.getI() == 16))
                .map(n -> n.getInput(0)).toList();
    }

    private static List<String> ops(BackwardGraph g) {
        return g.model().getGraph().getNodeList().stream().map(NodeProto::getOpType).toList();
    }

    @Test
    void residualCnnWithSixteenChannels_agreesWithThePlainFormulationsAndFiniteDifferences() {
        ModelProto model = residualCnn();
        BackwardSpec spec = BackwardSpec.inputGradient("x", "y", 2, 3, 10, 10);
        BackwardGraph blocked = new BackwardGraphBuilder().build(model, spec);
        BackwardGraph plain = new BackwardGraphBuilder().plainRules().build(model, spec);
        assertThat(ops(blocked)).as("ReLU masks by Clip, not Where").doesNotContain("Where")
                .filteredOn("Clip"::equals).hasSize(3);
        assertThat(ops(blocked)).as("the stride-2 convolution's gradient by phases").contains("DepthToSpace")
                .doesNotContain("ConvTranspose");
        assertThat(ops(plain)).contains("ConvTranspose").doesNotContain("DepthToSpace");
        assertThat(ops(blocked)).as("the forward MaxPool and the one for the indices").filteredOn("MaxPool"::equals)
                .hasSize(2);
        assertThat(ops(plain)).doesNotContain("Clip").filteredOn("Where"::equals).hasSize(3);
        assertThat(ops(plain)).filteredOn("MaxPool"::equals).hasSize(1);
        assertThat(maskedTensors(blocked)).as("ReLU-then-MaxPool: the mask is taken on the pooled side")
                .contains("p1").doesNotContain("r1");
        assertThat(maskedTensors(plain)).contains("r1").doesNotContain("p1");

        Tensor x = GradCheck.random(rnd, DType.FLOAT32, -1, 1, 2, 3, 10, 10);
        Tensor seed = GradCheck.random(rnd, DType.FLOAT32, -1, 1, 2, 3);
        double[] reference = Run.inputGradient(plain, x, seed);
        GradCheck.assertClose("blocked against plain", Run.inputGradient(blocked, x, seed), reference, 1e-5);
        // and the plain graph against finite differences (float32, so a loose bound: ReLU kinks)
        try (OnnxDifferentiableModel m = GradCheck.load(model)) {
            GradCheck.assertClose("plain against finite differences", reference,
                    GradCheck.numeric(m::forward, x, seed, 1e-3), 2e-2);
            m.model().close();
        }
    }

    @Test
    void reluOutputAskedForAsALayer_keepsItsOwnMaskAndGetsItsGradient() {
        ModelProto model = residualCnn();
        BackwardSpec spec = new BackwardSpec("x", "y", new int[] {2, 3, 10, 10}, List.of("x", "r1"), List.of(),
                List.of(), RuleSet.gradient());
        BackwardGraph blocked = new BackwardGraphBuilder().build(model, spec);
        assertThat(maskedTensors(blocked)).as("r1 is requested: no shortcut past it").contains("r1");
        assertThat(blocked.gradientOutputs()).containsKey("r1");
    }

    @Test
    void reluReadByMaxPoolAndAnotherNode_keepsItsOwnMask() {
        long c = 16;
        ModelProto model = TestModels.opset(13).input("x", FLOAT, -1, c, 6, 6)
                .node("Relu", "x", "r")
                .node("MaxPool", List.of("r"), List.of("p"), Attr.ints("kernel_shape", 2, 2),
                        Attr.ints("strides", 2, 2))
                .node("ReduceMean", List.of("r"), List.of("m"), Attr.ints("axes", 2, 3))
                .node("ReduceMean", List.of("p"), List.of("s"), Attr.ints("axes", 2, 3))
                .node("Add", List.of("m", "s"), List.of("a"))
                .node("Flatten", "a", "y")
                .output("y", FLOAT).build();
        BackwardSpec spec = BackwardSpec.inputGradient("x", "y", 2, 16, 6, 6);
        BackwardGraph blocked = new BackwardGraphBuilder().build(model, spec);
        assertThat(maskedTensors(blocked)).as("r has two readers: no shortcut").contains("r").doesNotContain("p");
        Tensor x = GradCheck.random(rnd, DType.FLOAT32, -1, 1, 2, 16, 6, 6);
        Tensor seed = GradCheck.random(rnd, DType.FLOAT32, -1, 1, 2, 16);
        GradCheck.assertClose("blocked against plain", Run.inputGradient(blocked, x, seed),
                Run.inputGradient(new BackwardGraphBuilder().plainRules().build(model, spec), x, seed), 1e-6);
    }

    @Test
    void reluMaskIsExactForZeroSubnormalHugeAndNegativeValues() {
        double[] values = {0.0, -0.0, Float.MIN_VALUE, 1e-40, Float.MIN_NORMAL, 1e-30, 1e-6, 1, 3e38,
            -Float.MIN_VALUE, -1e-30, -1, -3e38, 2.5, 7e-39, 0.0};
        int c = 16;
        double[] x = new double[c * 2];
        double[] seed = new double[c * 2];
        for (int i = 0; i < x.length; i++) {
            x[i] = values[(i * 7) % values.length];
            seed[i] = i % 3 == 0 ? -1.5 : 0.75 + i;
        }
        ModelProto model = TestModels.opset(13).input("x", FLOAT, 1, c, 1, 2).node("Relu", "x", "y")
                .output("y", FLOAT).build();
        BackwardGraph g = new BackwardGraphBuilder().build(model, BackwardSpec.inputGradient("x", "y", 1, c, 1, 2));
        assertThat(g.model().getGraph().getNodeList().stream().map(NodeProto::getOpType)).contains("Clip");
        double[] grad = Run.inputGradient(g, Tensor.ofDoublesAsFloats(x, 1, c, 1, 2),
                Tensor.ofDoublesAsFloats(seed, 1, c, 1, 2));
        for (int i = 0; i < x.length; i++) {
            double expected = (float) x[i] > 0 ? (float) seed[i] : 0.0;
            // == on purpose: a masked negative gradient may come out as -0.0
            assertThat(grad[i] == expected).as("x = %s: gradient %s, expected %s", (float) x[i], grad[i], expected)
                    .isTrue();
        }
    }
}
