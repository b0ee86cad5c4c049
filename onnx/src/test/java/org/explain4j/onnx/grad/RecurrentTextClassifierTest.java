package org.explain4j.onnx.grad;

import static org.assertj.core.api.Assertions.assertThat;
import static org.explain4j.onnx.grad.TestModels.FLOAT;
import static org.explain4j.onnx.grad.TestModels.INT64;

import ai.onnx.proto.OnnxMl.ModelProto;
import java.util.List;
import java.util.Random;
import org.explain4j.core.Attribution;
import org.explain4j.core.Baseline;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.method.LayerIntegratedGradients;
import org.explain4j.core.method.LayerOptions;
import org.junit.jupiter.api.Test;

/** Layer methods on a recurrent text classifier, at the embedding output (the Gather before an LSTM). */
class RecurrentTextClassifierTest {
    private static final int TOKENS = 5;

    /** ids [N,5] -> embedding [N,5,4] -> bidirectional LSTM (hidden 3) -> both final states -> logits [N,3]. */
    private static ModelProto classifier() {
        Random rnd = new Random(23);
        return TestModels.opset(14).input("ids", INT64, -1, TOKENS)
                .random("table", FLOAT, rnd, -1, 1, 10, 4)
                .random("W", FLOAT, rnd, -0.7, 0.7, 2, 12, 4).random("R", FLOAT, rnd, -0.7, 0.7, 2, 12, 3)
                .random("Bias", FLOAT, rnd, -0.3, 0.3, 2, 24).random("out", FLOAT, rnd, -1, 1, 6, 3)
                .longs("flat", null, 0, 6)
                .node("Gather", List.of("table", "ids"), List.of("emb"), Attr.i("axis", 0))
                .node("Transpose", "emb", "seq", Attr.ints("perm", 1, 0, 2))
                .node("LSTM", List.of("seq", "W", "R", "Bias"), List.of("", "h"), Attr.i("hidden_size", 3),
                        Attr.s("direction", "bidirectional"))
                .node("Transpose", "h", "h_bf", Attr.ints("perm", 1, 0, 2))
                .node("Reshape", List.of("h_bf", "flat"), List.of("features"))
                .node("MatMul", List.of("features", "out"), List.of("logits"))
                .output("logits", FLOAT).build();
    }

    private static final Tensor IDS = Tensor.ofLongs(new long[] {1, 4, 4, 9, 2, 0, 7, 3, 3, 8}, 2, TOKENS);

    @Test
    void embeddingOutputOfAnLstmClassifier_hasTheGradientOfFiniteDifferences() {
        try (OnnxDifferentiableModel m = GradCheck.load(classifier())) {
            GradCheck.checkLayerGradient(m, IDS, "emb", 1e-2, 3e-3);
            m.model().close();
        }
    }

    @Test
    void layerIntegratedGradientsAtTheEmbedding_isComplete() {
        try (OnnxDifferentiableModel m = GradCheck.load(classifier())) {
            LayerOptions o = LayerOptions.of("emb").withBaseline(Baseline.zeros()).withSteps(64);
            Attribution a = new LayerIntegratedGradients(m, o).attribute(IDS, Target.of(1));
            assertThat(a.values().shape()).containsExactly(2, TOKENS, 4);
            double[] v = a.values().toDoubleArray();
            double[] gap = a.diagnostics().completenessGap().orElseThrow();
            for (int n = 0; n < 2; n++) {
                double sum = 0;
                for (int i = n * TOKENS * 4; i < (n + 1) * TOKENS * 4; i++) {
                    sum += v[i];
                }
                // the attributions carry f(x) - f(baseline), up to the quadrature's error
                assertThat(Math.abs(sum)).as("attribution sum of example %d", n).isGreaterThan(0.05);
                assertThat(Math.abs(gap[n])).as("completeness gap of example %d (sum %s)", n, sum)
                        .isLessThan(1e-3 * Math.abs(sum));
            }
            m.model().close();
        }
    }
}
