package org.explain4j.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.explain4j.core.Attribution;
import org.explain4j.core.Baseline;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.grad.PropagationRules;
import org.explain4j.core.grad.RuleSet;
import org.explain4j.core.io.Npy;
import org.explain4j.core.method.DeepLift;
import org.explain4j.core.method.IntegratedGradients;
import org.explain4j.core.method.LayerIntegratedGradients;
import org.explain4j.core.method.LayerOptions;
import org.explain4j.core.method.Lrp;
import org.explain4j.core.method.Quadrature;
import org.explain4j.onnx.grad.OnnxDifferentiableModel;
import org.explain4j.onnx.grad.propagation.PropagationRegistry;
import org.junit.jupiter.api.Test;

/** The core methods on real ONNX models through the backward-graph builder: axioms that must hold end to end. */
class MethodsOnOnnxTest {
    static final Path MODELS = OnnxModelTest.MODELS;

    private static double maxAbs(double[] v) {
        double m = 0;
        for (double d : v) {
            m = Math.max(m, Math.abs(d));
        }
        return m;
    }

    @Test
    void layerIntegratedGradients_onTheEmbeddingOfATextModel_isComplete() {
        try (OnnxModel base = OnnxModel.load(MODELS.resolve("text_embedding_bag.onnx"));
             OnnxDifferentiableModel m = new OnnxDifferentiableModel(base, PropagationRegistry.standard())) {
            Tensor ids = Npy.read(MODELS.resolve("text_embedding_bag_x.npy"));
            // Baseline: all pad tokens (id 0); interpolation happens at the Gather output.
            LayerOptions o = LayerOptions.of("/embedding/Gather_output_0").withBaseline(Baseline.zeros()).withSteps(20);
            Attribution a = new LayerIntegratedGradients(m, o).attribute(ids, Target.of(1));
            assertThat(a.values().shape()).containsExactly(3, 7, 8);
            // The model is linear after the embedding, so the path integral is exact.
            assertThat(maxAbs(a.diagnostics().completenessGap().orElseThrow())).isLessThan(1e-5);
            assertThat(maxAbs(a.values().toDoubleArray())).isGreaterThan(1e-4);
        }
    }

    @Test
    void layerIntegratedGradients_onAnEmbeddingBagExportedAsALoop_needsNoLoopRule() {
        try (OnnxModel base = OnnxModel.load(MODELS.resolve("text_embedding_bag_loop.onnx"));
             OnnxDifferentiableModel m = new OnnxDifferentiableModel(base, PropagationRegistry.standard())) {
            Tensor ids = Npy.read(MODELS.resolve("text_embedding_bag_loop_x.npy"));
            // The layer is the Loop's output: only the Gemm after it is differentiated.
            Attribution a = new LayerIntegratedGradients(m, LayerOptions.of("/emb/Loop_output_0").withSteps(8))
                    .attribute(ids, Target.of(1));
            assertThat(a.values().shape()).containsExactly(3, 8);
            assertThat(maxAbs(a.diagnostics().completenessGap().orElseThrow())).isLessThan(1e-5);
        }
    }

    @Test
    void integratedGradients_onTheResidualCnn_convergesWithSteps() {
        try (OnnxModel base = OnnxModel.load(MODELS.resolve("residual_cnn.onnx"));
             OnnxDifferentiableModel m = new OnnxDifferentiableModel(base, PropagationRegistry.standard())) {
            Tensor x = Npy.read(MODELS.resolve("residual_cnn_x.npy"));
            double coarse = maxAbs(new IntegratedGradients(m, IntegratedGradients.Options.defaults().withSteps(4)
                    .withIntegration(Quadrature.RIEMANN_RIGHT)).attribute(x, Target.of(2)).diagnostics().completenessGap().orElseThrow());
            double fine = maxAbs(new IntegratedGradients(m, IntegratedGradients.Options.defaults().withSteps(128)
                    .withIntegration(Quadrature.RIEMANN_RIGHT)).attribute(x, Target.of(2)).diagnostics().completenessGap().orElseThrow());
            assertThat(fine).isLessThan(coarse / 4);
        }
    }

    @Test
    void deepLift_onTheTabularMlpWithAReference_isComplete() {
        Path golden = Path.of(System.getProperty("explain4j.shared", "../../shared")).resolve("golden");
        org.junit.jupiter.api.Assumptions.assumeTrue(golden.resolve("tabular_mlp.onnx").toFile().isFile());
        try (OnnxModel base = OnnxModel.load(golden.resolve("tabular_mlp.onnx"));
             OnnxDifferentiableModel m = new OnnxDifferentiableModel(base, PropagationRegistry.standard())) {
            Tensor x = Npy.read(golden.resolve("tabular_x.npy"));
            Tensor ref = Npy.read(golden.resolve("tabular_baseline.npy"));
            Attribution a = new DeepLift(m, DeepLift.Options.defaults().withBaseline(Baseline.of(ref))).attribute(x, Target.of(0, 1, 2, 1));
            Tensor fx = base.forward(x);
            double scale = maxAbs(fx.toDoubleArray());
            assertThat(maxAbs(a.diagnostics().completenessGap().orElseThrow()) / scale).isLessThan(1e-4);
        }
    }

    @Test
    void lrp_withACustomRuleSet_usesTheChosenRules() {
        try (OnnxModel base = OnnxModel.load(MODELS.resolve("mlp_softmax.onnx"));
             OnnxDifferentiableModel m = new OnnxDifferentiableModel(base, PropagationRegistry.standard())) {
            Tensor x = Npy.read(MODELS.resolve("mlp_softmax_x.npy"));
            // The mlp ends in Softmax, which LRP composites refuse; explain the logits' producer instead by
            // a custom rule set: z+ on the first Gemm, epsilon on the second, pass through Tanh and Softmax.
            RuleSet custom = new RuleSet("my-lrp", List.of(
                    new RuleSet.Assignment(new RuleSet.Selector.FirstLayer(List.of("Gemm")), "zplus", Map.of()),
                    new RuleSet.Assignment(new RuleSet.Selector.OpType("Gemm"), "epsilon", Map.of("epsilon", 1e-9)),
                    new RuleSet.Assignment(new RuleSet.Selector.OpType("Tanh"), "pass", Map.of()),
                    new RuleSet.Assignment(new RuleSet.Selector.OpType("Softmax"), "pass", Map.of()),
                    new RuleSet.Assignment(new RuleSet.Selector.OpType(org.explain4j.core.grad.Rules.ANY_OP), org.explain4j.core.grad.Rules.REFUSE, Map.of())));
            Attribution a = new Lrp(m, Lrp.Options.defaults().withRules(custom)).attribute(x, Target.of(0));
            Attribution eps = new Lrp(m, Lrp.Options.defaults().withRules(new RuleSet("all-epsilon", List.of(
                    new RuleSet.Assignment(new RuleSet.Selector.OpType("Gemm"), "epsilon", Map.of("epsilon", 1e-9)),
                    new RuleSet.Assignment(new RuleSet.Selector.OpType("Tanh"), "pass", Map.of()),
                    new RuleSet.Assignment(new RuleSet.Selector.OpType("Softmax"), "pass", Map.of()))))).attribute(x, Target.of(0));
            assertThat(a.options().get("composite")).isEqualTo("my-lrp");
            assertThat(a.values().shape()).containsExactly(3, 10);
            assertThat(a.values()).isNotEqualTo(eps.values());
        }
    }

    @Test
    void lrp_composites_refuseSoftmaxClearly() {
        try (OnnxModel base = OnnxModel.load(MODELS.resolve("mlp_softmax.onnx"));
             OnnxDifferentiableModel m = new OnnxDifferentiableModel(base, PropagationRegistry.standard())) {
            Tensor x = Npy.read(MODELS.resolve("mlp_softmax_x.npy"));
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> new Lrp(m, Lrp.Options.defaults()).attribute(x, Target.of(0)))
                    .isInstanceOfSatisfying(org.explain4j.core.Explain4jException.class,
                            e -> assertThat(e.kind()).isEqualTo(org.explain4j.core.ErrorKind.UNSUPPORTED))
                    .hasMessageContaining("Softmax").hasMessageNotContaining("\n");
        }
    }
}
