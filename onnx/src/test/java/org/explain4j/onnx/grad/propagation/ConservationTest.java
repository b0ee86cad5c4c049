package org.explain4j.onnx.grad.propagation;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnx.proto.OnnxMl.ModelProto;
import java.util.List;
import java.util.Random;
import org.explain4j.core.Tensor;
import org.explain4j.core.grad.PropagationRules;
import org.explain4j.onnx.grad.Attr;
import org.explain4j.onnx.grad.OnnxDifferentiableModel;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Without biases and with a tiny epsilon, LRP conserves the seeded relevance. */
class ConservationTest {

    private static ModelProto dense(Random rnd) {
        return Net.input(-1, 8).random("W1", rnd, -1, 1, 6, 8).random("W2", rnd, -1, 1, 6, 4)
                .node("Gemm", List.of("x", "W1"), "h", Attr.i("transB", 1)).node("Relu", "h", "r")
                .node("MatMul", List.of("r", "W2"), "y").build("y");
    }

    private static ModelProto conv(Random rnd) {
        return Net.input(-1, 2, 6, 6).random("K", rnd, -1, 1, 3, 2, 3, 3).random("W", rnd, -1, 1, 4, 27)
                .node("Conv", List.of("x", "K"), "c", Attr.ints("pads", 1, 1, 1, 1))
                .node("Relu", "c", "r").node("MaxPool", "r", "p", Attr.ints("kernel_shape", 2, 2),
                        Attr.ints("strides", 2, 2))
                .node("Flatten", "p", "f").node("Gemm", List.of("f", "W"), "y", Attr.i("transB", 1)).build("y");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"epsilon", "epsilon-plus", "epsilon-alpha2-beta1"})
    void noBiasTinyEpsilon_relevanceSumsToTheSeededLogit(String composite) {
        Random rnd = new Random(31);
        for (ModelProto model : List.of(dense(rnd), conv(rnd))) {
            int[] shape = model.getGraph().getInput(0).getType().getTensorType().getShape().getDimCount() == 2
                    ? new int[] {3, 8} : new int[] {3, 2, 6, 6};
            Tensor x = LrpRulesTest.random(rnd, shape);
            OnnxDifferentiableModel m = Fixtures.load(model);
            try {
                Tensor out = m.forward(x);
                int[] targets = {0, 1, 3};
                double[] rel = Fixtures.lrp(m, x, targets, Fixtures.composite(composite, "epsilon", 1e-9));
                int per = x.exampleSize();
                for (int n = 0; n < 3; n++) {
                    double logit = out.getDouble(n * 4 + targets[n]);
                    assertThat(Fixtures.sum(rel, n * per, (n + 1) * per))
                            .as("%s, example %d: relevance sum vs the target logit", composite, n)
                            .isCloseTo(logit, org.assertj.core.data.Offset.offset(1e-4 * Math.max(1, Math.abs(logit))));
                }
            } finally {
                Fixtures.close(m);
            }
        }
    }
}
