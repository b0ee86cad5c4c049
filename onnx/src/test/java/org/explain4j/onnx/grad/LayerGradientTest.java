package org.explain4j.onnx.grad;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.explain4j.onnx.grad.TestModels.DOUBLE;
import static org.explain4j.onnx.grad.TestModels.FLOAT;
import static org.explain4j.onnx.grad.TestModels.INT64;

import ai.onnx.proto.OnnxMl.ModelProto;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import org.explain4j.core.DType;
import org.explain4j.core.ErrorKind;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Tensor;
import org.explain4j.core.grad.BackwardRequest;
import org.explain4j.core.grad.BackwardResult;
import org.junit.jupiter.api.Test;

/** Captures, feeds and embedding lookups. */
class LayerGradientTest {
    private final Random rnd = new Random(31);

    /** ids [N,3] -> table = W * 1.5 -> Gather -> Tanh -> ReduceSum over the tokens -> MatMul -> [N,2]. */
    private ModelProto embeddingModel() {
        return TestModels.opset(13).input("ids", INT64, -1, 3)
                .random("W", FLOAT, rnd, -1, 1, 5, 4).init("k", FLOAT, new long[0], 1.5)
                .random("P", FLOAT, rnd, -1, 1, 4, 2)
                .node("Mul", List.of("W", "k"), List.of("table"))
                .node("Gather", List.of("table", "ids"), List.of("emb"), Attr.i("axis", 0))
                .node("Tanh", "emb", "t")
                .node("ReduceSum", List.of("t"), List.of("s"), Attr.i("keepdims", 0))
                .node("MatMul", List.of("t", "P"), List.of("tp"))
                .longs("axes", null, 1)
                .node("ReduceSum", List.of("tp", "axes"), List.of("y"), Attr.i("keepdims", 0))
                .output("y", FLOAT).build();
    }

    @Test
    void gatherFromAnInt64InputGivesTheVjpOfItsOutputAndOfTheTableRows() {
        Tensor ids = Tensor.ofLongs(new long[] {1, 3, 1, 4, 0, 4}, 2, 3);
        try (OnnxDifferentiableModel m = GradCheck.load(embeddingModel())) {
            GradCheck.checkLayerGradient(m, ids, "emb", 1e-2, 2e-3);
            // the table: repeated ids accumulate, rows never looked up get zero
            GradCheck.checkLayerGradient(m, ids, "table", 1e-2, 2e-3);
            Tensor seed = Tensor.full(DType.FLOAT32, 1, 2, 2);
            BackwardResult r = m.backward(ids, seed, BackwardRequest.gradientOfInput().withInputGradient(false)
                    .withCaptures(List.of("table")));
            float[] table = r.gradients().get("table").toFloatArray();
            for (int col = 0; col < 4; col++) {
                assertThat(table[2 * 4 + col]).isZero();
            }
            assertThat(r.inputGradient()).isEmpty();
            m.model().close();
        }
    }

    @Test
    void theGradientOfAnIntegerInputIsRefusedClearly() {
        try (OnnxDifferentiableModel m = GradCheck.load(embeddingModel())) {
            Tensor ids = Tensor.ofLongs(new long[] {1, 2, 3}, 1, 3);
            assertThatThrownBy(() -> m.backward(ids, Tensor.full(DType.FLOAT32, 1, 1, 2),
                    BackwardRequest.gradientOfInput()))
                    .isInstanceOfSatisfying(Explain4jException.class, e -> assertThat(e.kind()).isEqualTo(ErrorKind.DTYPE))
                    .hasMessageContaining("INT64").hasMessageContaining("embedding");
            m.model().close();
        }
    }

    /** h = relu(x W1); y = h W2 + x W3: a residual path that does not pass through h. */
    private ModelProto residualModel() {
        return TestModels.opset(13).input("x", DOUBLE, -1, 4)
                .random("W1", DOUBLE, rnd, -1, 1, 4, 5).random("W2", DOUBLE, rnd, -1, 1, 5, 3)
                .random("W3", DOUBLE, rnd, -1, 1, 4, 3)
                .node("MatMul", List.of("x", "W1"), List.of("a")).node("Relu", "a", "h")
                .node("MatMul", List.of("h", "W2"), List.of("b"))
                .node("MatMul", List.of("x", "W3"), List.of("c"))
                .node("Add", List.of("b", "c"), List.of("y")).output("y", DOUBLE).build();
    }

    @Test
    void capturedActivationsAndGradientsMatchFiniteDifferences() {
        Tensor x = GradCheck.random(rnd, DType.FLOAT64, -1, 1, 3, 4);
        try (OnnxDifferentiableModel m = GradCheck.load(residualModel())) {
            GradCheck.checkLayerGradient(m, x, "h", 1e-6, 1e-6);
            GradCheck.checkLayerGradient(m, x, "a", 1e-6, 1e-6);
            Tensor seed = GradCheck.random(rnd, DType.FLOAT64, -1, 1, 3, 3);
            BackwardResult r = m.backward(x, seed, BackwardRequest.gradientOfInput().withCaptures(List.of("h", "a")));
            // relu: the activation of h is max(a, 0), and the VJP of a is the VJP of h where a > 0
            double[] a = r.activations().get("a").toDoubleArray();
            double[] h = r.activations().get("h").toDoubleArray();
            double[] ga = r.gradients().get("a").toDoubleArray();
            double[] gh = r.gradients().get("h").toDoubleArray();
            for (int i = 0; i < a.length; i++) {
                assertThat(h[i]).isEqualTo(Math.max(a[i], 0));
                assertThat(ga[i]).isEqualTo(a[i] > 0 ? gh[i] : 0);
            }
            GradCheck.assertClose("input gradient with captures", r.inputGradient().get().toDoubleArray(),
                    m.backward(x, seed, BackwardRequest.gradientOfInput()).inputGradient().get().toDoubleArray(), 1e-12);
            m.model().close();
        }
    }

    @Test
    void aFedTensorCutsItsPathWhileOtherPathsStillComputeFromTheInput() {
        Tensor x = GradCheck.random(rnd, DType.FLOAT64, -1, 1, 3, 4);
        Tensor fed = GradCheck.random(rnd, DType.FLOAT64, 0, 1, 3, 5);
        Tensor seed = GradCheck.random(rnd, DType.FLOAT64, -1, 1, 3, 3);
        try (OnnxDifferentiableModel m = GradCheck.load(residualModel())) {
            BackwardRequest feedH = BackwardRequest.gradientOfInput().withFeeds(Map.of("h", fed));
            BackwardResult r = m.backward(x, seed, feedH);
            assertThat(r.activations().get("h")).isEqualTo(fed);
            // the input gradient only flows through x W3; the gradient at h is that of the fed value
            Function<Tensor, Tensor> ofX = v -> m.backward(v, seed, feedH).output();
            GradCheck.assertClose("input gradient with h fed", r.inputGradient().get().toDoubleArray(),
                    GradCheck.numeric(ofX, x, seed, 1e-6), 1e-6);
            Function<Tensor, Tensor> ofH = v -> m.backward(x, seed, feedH.withFeeds(Map.of("h", v))).output();
            GradCheck.assertClose("gradient at the fed h", r.gradients().get("h").toDoubleArray(),
                    GradCheck.numeric(ofH, fed, seed, 1e-6), 1e-6);
            m.model().close();
        }
    }

    @Test
    void unknownLayerNamesAndBadShapesAreUsageErrors() {
        Tensor x = GradCheck.random(rnd, DType.FLOAT64, -1, 1, 3, 4);
        Tensor seed = GradCheck.random(rnd, DType.FLOAT64, -1, 1, 3, 3);
        try (OnnxDifferentiableModel m = GradCheck.load(residualModel())) {
            assertThatThrownBy(() -> m.backward(x, seed, BackwardRequest.gradientOfInput()
                    .withCaptures(List.of("nope"))))
                    .isInstanceOfSatisfying(Explain4jException.class, e -> assertThat(e.kind()).isEqualTo(ErrorKind.USAGE))
                    .hasMessageContaining("'nope'").hasMessageContaining("'h'");
            assertThatThrownBy(() -> m.backward(x, seed, BackwardRequest.gradientOfInput()
                    .withFeeds(Map.of("h", Tensor.zeros(DType.FLOAT64, 3, 4)))))
                    .isInstanceOfSatisfying(Explain4jException.class, e -> assertThat(e.kind()).isEqualTo(ErrorKind.SHAPE))
                    .hasMessageContaining("(3, 5)");
            assertThatThrownBy(() -> m.backward(x, Tensor.zeros(DType.FLOAT64, 3, 2), BackwardRequest.gradientOfInput()))
                    .isInstanceOfSatisfying(Explain4jException.class, e -> assertThat(e.kind()).isEqualTo(ErrorKind.SHAPE))
                    .hasMessageContaining("seed");
            m.model().close();
        }
    }
}
