package org.explain4j.onnx.grad;

import static org.explain4j.onnx.grad.TestModels.FLOAT;

import ai.onnx.proto.OnnxMl.ModelProto;
import java.util.List;
import java.util.Random;
import org.explain4j.core.DType;
import org.explain4j.core.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** InstanceNormalization, GroupNormalization (opset 18 and 21 forms) and LayerNormalization over any axis against finite differences. */
class NormalisationOpsRulesTest {
    private static final double H = 1e-2;
    private static final double TOL = 3e-3;
    private final Random rnd = new Random(57);

    private Tensor x(int... shape) {
        return GradCheck.random(rnd, DType.FLOAT32, -1, 1, shape);
    }

    @Test
    void instanceNormalization_matchesFiniteDifferences() {
        ModelProto m = TestModels.opset(13).input("x", FLOAT, 2, 3, 4, 5)
                .random("scale", FLOAT, rnd, 0.5, 1.5, 3).random("bias", FLOAT, rnd, -1, 1, 3)
                .node("InstanceNormalization", List.of("x", "scale", "bias"), List.of("n"), Attr.f("epsilon", 1e-3f))
                .node("Tanh", "n", "y").output("y", FLOAT).build();
        GradCheck.checkInputGradient(m, x(2, 3, 4, 5), H, TOL);
    }

    @ParameterizedTest(name = "GroupNormalization opset {0}")
    @ValueSource(ints = {18, 21})
    void groupNormalization_matchesFiniteDifferences(int opset) {
        // opset 18: scale and bias per group; opset 21: per channel
        int scales = opset >= 21 ? 6 : 3;
        ModelProto m = TestModels.opset(opset).input("x", FLOAT, 2, 6, 3, 4)
                .random("scale", FLOAT, rnd, 0.5, 1.5, scales).random("bias", FLOAT, rnd, -1, 1, scales)
                .node("GroupNormalization", List.of("x", "scale", "bias"), List.of("n"), Attr.i("num_groups", 3),
                        Attr.f("epsilon", 1e-3f))
                .node("Tanh", "n", "y").output("y", FLOAT).build();
        GradCheck.checkInputGradient(m, x(2, 6, 3, 4), H, TOL);
    }

    @ParameterizedTest(name = "LayerNormalization axis {0}")
    @ValueSource(ints = {1, -2, 2, -1})
    void layerNormalizationFromAnyAxis_matchesFiniteDifferences(int axis) {
        int from = axis < 0 ? axis + 3 : axis;
        long[] normalised = from == 1 ? new long[] {4, 5} : new long[] {5};
        ModelProto m = TestModels.opset(17).input("x", FLOAT, 3, 4, 5)
                .random("scale", FLOAT, rnd, 0.5, 1.5, normalised).random("bias", FLOAT, rnd, -1, 1, normalised)
                .node("LayerNormalization", List.of("x", "scale", "bias"), List.of("n"), Attr.i("axis", axis))
                .node("Tanh", "n", "y").output("y", FLOAT).build();
        GradCheck.checkInputGradient(m, x(3, 4, 5), H, TOL);
    }
}
