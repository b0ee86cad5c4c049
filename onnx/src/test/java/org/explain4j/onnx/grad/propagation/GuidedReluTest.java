package org.explain4j.onnx.grad.propagation;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.explain4j.core.Tensor;
import org.explain4j.core.grad.PropagationRules;
import org.explain4j.core.grad.RuleSet;
import org.explain4j.onnx.grad.OnnxDifferentiableModel;
import org.junit.jupiter.api.Test;

/** Guided backprop and deconvolution at a Relu, on hand-computed values. */
class GuidedReluTest {
    private static final Tensor X = Tensor.ofDoublesAsFloats(new double[] {1, -1, 2, -2, 0}, 1, 5);
    private static final double[] SEED = {0.5, 0.5, -1, -1, 3};

    private static double[] run(RuleSet rules) {
        OnnxDifferentiableModel m = Fixtures.load(Net.input(-1, 5).node("Relu", "x", "y").build("y"));
        try {
            return Fixtures.backward(m, X, SEED, new int[] {1, 5}, rules);
        } finally {
            Fixtures.close(m);
        }
    }

    @Test
    void guidedRelu_passesPositiveGradientsWhereTheInputIsPositive() {
        assertThat(run(PropagationRules.guidedBackprop())).containsExactly(0.5, 0, 0, 0, 0);
    }

    @Test
    void deconvRelu_passesPositiveGradientsRegardlessOfTheInput() {
        assertThat(run(PropagationRules.deconvolution())).containsExactly(0.5, 0.5, 0, 0, 3);
    }

    @Test
    void gradientAndPassRules_giveTheGradientAndTheIdentity() {
        assertThat(run(RuleSet.gradient())).containsExactly(0.5, 0, -1, 0, 0);
        assertThat(run(new RuleSet("g", List.of(new RuleSet.Assignment(new RuleSet.Selector.OpType("Relu"), "gradient",
                Map.of()))))).containsExactly(0.5, 0, -1, 0, 0);
        assertThat(run(new RuleSet("p", List.of(new RuleSet.Assignment(new RuleSet.Selector.OpType("*"), "pass",
                Map.of()))))).containsExactly(0.5, 0.5, -1, -1, 3);
    }
}
