package org.explain4j.onnx.grad.propagation;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.explain4j.core.DType;
import org.explain4j.core.Tensor;
import org.explain4j.core.grad.BackwardRequest;
import org.explain4j.core.grad.RuleSet;
import org.explain4j.onnx.grad.Attr;
import org.explain4j.onnx.grad.OnnxDifferentiableModel;
import org.explain4j.onnx.grad.rules.Polyphase;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The LRP layer rules on 16-channel convolutions (blocked layout), whose backward products are
 * now the Conv gradient's forms (flipped-kernel convolution for unit strides, phase convolutions
 * for stride 2) instead of one ConvTranspose: the relevance equals the ConvTranspose form's
 * ({@code explain4j.grad.stridedConv=transpose}) within float32 rounding, rule by rule.
 */
class PhasedConvLrpTest {
    private static ModelProto model() {
        Random rnd = new Random(41);
        return Net.input(-1, 16, 9, 8).random("W1", rnd, -0.3, 0.3, 16, 16, 3, 3).random("B1", rnd, -0.2, 0.2, 16)
                .random("W2", rnd, -0.3, 0.3, 32, 16, 3, 3).random("B2", rnd, -0.2, 0.2, 32)
                .node("Conv", List.of("x", "W1", "B1"), "c1", Attr.ints("pads", 1, 1, 1, 1))
                .node("Relu", List.of("c1"), "r1")
                .node("Conv", List.of("r1", "W2", "B2"), "y", Attr.ints("strides", 2, 2), Attr.ints("pads", 1, 1, 1, 1))
                .build("y");
    }

    private static List<String> ops(OnnxDifferentiableModel m, RuleSet rs) {
        return m.backwardGraph(BackwardRequest.gradientOfInput().withRules(rs), 2, 16, 9, 8).model().getGraph()
                .getNodeList().stream().map(NodeProto::getOpType).toList();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"epsilon", "zplus", "alpha-beta", "flat", "w-square", "gamma"})
    void relevanceEqualsTheConvTransposeForm(String rule) {
        Map<String, Double> params = switch (rule) {
            case "alpha-beta" -> Map.of("alpha", 2.0, "beta", 1.0, "epsilon", 1e-4);
            case "gamma" -> Map.of("gamma", 0.25, "epsilon", 1e-4);
            default -> Map.of("epsilon", 0.05);
        };
        RuleSet rs = new RuleSet("test-" + rule, List.of(new RuleSet.Assignment(new RuleSet.Selector.OpType("Conv"),
                rule, params)));
        Random rnd = new Random(43);
        double[] xs = new double[2 * 16 * 9 * 8];
        for (int i = 0; i < xs.length; i++) {
            xs[i] = rnd.nextDouble() * 2 - 1;
        }
        Tensor x = Tensor.ofDoublesAsFloats(xs, 2, 16, 9, 8);
        double[][] relevance = new double[2][];
        List<List<String>> graphs = new java.util.ArrayList<>();
        String before = System.getProperty(Polyphase.PROPERTY);
        try {
            for (int form = 0; form < 2; form++) {
                System.setProperty(Polyphase.PROPERTY, form == 0 ? "transpose" : "polyphase");
                OnnxDifferentiableModel m = Fixtures.load(model());
                try {
                    Tensor out = m.forward(x);
                    double[] seed = new double[out.size()];
                    Random s = new Random(47);
                    for (int i = 0; i < seed.length; i++) {
                        seed[i] = s.nextDouble();
                    }
                    graphs.add(ops(m, rs));
                    relevance[form] = Fixtures.backward(m, x, seed, new int[] {2, 32, 5, 4}, rs);
                } finally {
                    Fixtures.close(m);
                }
            }
        } finally {
            if (before == null) {
                System.clearProperty(Polyphase.PROPERTY);
            } else {
                System.setProperty(Polyphase.PROPERTY, before);
            }
        }
        assertThat(graphs.get(0)).contains("ConvTranspose").doesNotContain("DepthToSpace");
        assertThat(graphs.get(1)).as("stride 2 by phases, unit stride by a flipped-kernel Conv")
                .contains("DepthToSpace").doesNotContain("ConvTranspose");
        assertThat(Fixtures.relativeError(relevance[1], relevance[0])).as("phases against ConvTranspose, " + rule)
                .isLessThanOrEqualTo(1e-5);
        double norm = 0;
        for (double v : relevance[0]) {
            norm += Math.abs(v);
        }
        assertThat(norm).as("relevance that is not all zeros").isGreaterThan(1e-3);
    }
}
