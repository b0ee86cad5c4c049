package org.explain4j.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.explain4j.core.Attribution;
import org.explain4j.core.Baseline;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.ErrorKind;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.grad.Composites;
import org.explain4j.core.grad.PropagationRules;
import org.explain4j.core.grad.RuleSet;
import org.explain4j.core.grad.Rules;
import org.explain4j.core.io.Npy;
import org.explain4j.core.method.DeepLift;
import org.explain4j.core.method.IntegratedGradients;
import org.explain4j.core.method.LayerIntegratedGradients;
import org.explain4j.core.method.LayerOptions;
import org.explain4j.core.method.Lrp;
import org.explain4j.core.method.Quadrature;
import org.explain4j.core.method.GuidedBackprop;
import org.explain4j.core.method.Saliency;
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
    void deepLift_onAnMlpWithAReference_isComplete() {
        try (OnnxModel base = OnnxModel.load(MODELS.resolve("mlp_opset17.onnx"));
             OnnxDifferentiableModel m = new OnnxDifferentiableModel(base, PropagationRegistry.standard())) {
            Tensor x = Npy.read(MODELS.resolve("mlp_opset17_x.npy"));
            Tensor ref = Tensor.concat(List.of(x.slice(2, 3), x.slice(0, 2)));
            Attribution a = new DeepLift(m, DeepLift.Options.defaults().withBaseline(Baseline.of(ref)))
                    .attribute(x, Target.of(0, 1, 2));
            double[] fx = base.forward(x).toDoubleArray();
            double[] fr = base.forward(ref).toDoubleArray();
            double[] gap = a.diagnostics().completenessGap().orElseThrow();
            double sum0 = 0;
            for (int i = 0; i < 5; i++) {
                sum0 += a.values().getDouble(i);
            }
            assertThat(sum0).as("example 0: attributions sum to f(x) - f(ref) at target 0")
                    .isCloseTo(fx[0] - fr[0], org.assertj.core.data.Offset.offset(1e-5));
            assertThat(maxAbs(gap) / maxAbs(fx)).isLessThan(1e-4);
        }
    }

    /** The float32 values of an initializer. */
    private static double[] initializer(ModelProto model, String name) {
        TensorProto t = model.getGraph().getInitializerList().stream().filter(i -> i.getName().equals(name))
                .findFirst().orElseThrow();
        java.nio.FloatBuffer f = t.getRawData().asReadOnlyByteBuffer().order(java.nio.ByteOrder.LITTLE_ENDIAN)
                .asFloatBuffer();
        double[] v = new double[f.remaining()];
        for (int i = 0; i < v.length; i++) {
            v[i] = f.get(i);
        }
        return v;
    }

    private static double stabilize(double z, double eps) {
        return z + (z < 0 ? -eps : eps);
    }

    @Test
    void lrp_withACustomRuleSet_matchesAHandComputation() throws java.io.IOException {
        ModelProto proto = ModelProto.parseFrom(java.nio.file.Files.readAllBytes(MODELS.resolve("mlp_softmax.onnx")));
        List<NodeProto> gemms = proto.getGraph().getNodeList().stream().filter(n -> n.getOpType().equals("Gemm"))
                .toList();
        assertThat(gemms).hasSize(2).allMatch(n -> n.getAttributeList().stream()
                .anyMatch(a -> a.getName().equals("transB") && a.getI() == 1));
        double[] w1 = initializer(proto, gemms.get(0).getInput(1));
        double[] b1 = initializer(proto, gemms.get(0).getInput(2));
        double[] w2 = initializer(proto, gemms.get(1).getInput(1));
        double[] b2 = initializer(proto, gemms.get(1).getInput(2));
        try (OnnxModel base = OnnxModel.load(MODELS.resolve("mlp_softmax.onnx"));
             OnnxDifferentiableModel m = new OnnxDifferentiableModel(base, PropagationRegistry.standard())) {
            Tensor x = Npy.read(MODELS.resolve("mlp_softmax_x.npy"));
            // The mlp ends in Softmax, which LRP composites refuse: a custom rule set with z+ on the first
            // Gemm, epsilon on the second, and pass through Tanh and Softmax.
            RuleSet custom = new RuleSet("my-lrp", List.of(
                    new RuleSet.Assignment(new RuleSet.Selector.FirstLayer(List.of("Gemm")), Rules.ZPLUS, Map.of()),
                    RuleSet.Assignment.op("Gemm", Rules.EPSILON, Map.of("epsilon", 1e-9)),
                    RuleSet.Assignment.op("Tanh", Rules.PASS),
                    RuleSet.Assignment.op("Softmax", Rules.PASS),
                    RuleSet.Assignment.op(Rules.ANY_OP, Rules.REFUSE)));
            Attribution a = new Lrp(m, Lrp.Options.defaults().withRules(custom)).attribute(x, Target.of(0));
            assertThat(a.options().get("composite")).isEqualTo("my-lrp");
            assertThat(a.values().shape()).containsExactly(3, 10);
            double[] probabilities = base.forward(x).toDoubleArray();
            for (int n = 0; n < 3; n++) {
                double[] xn = new double[10];
                for (int i = 0; i < 10; i++) {
                    xn[i] = x.getDouble(n * 10 + i);
                }
                // forward: t = tanh(W1 x + b1), z2 = W2 t + b2; the seed is the target's probability
                double[] t = new double[16];
                for (int j = 0; j < 16; j++) {
                    double z = b1[j];
                    for (int i = 0; i < 10; i++) {
                        z += w1[j * 10 + i] * xn[i];
                    }
                    t[j] = Math.tanh(z);
                }
                double z20 = b2[0];
                for (int j = 0; j < 16; j++) {
                    z20 += w2[j] * t[j];
                }
                // epsilon on the second Gemm (only output 0 carries relevance): R_t = t * W2[0] * R / z
                double s2 = probabilities[n * 4] / stabilize(z20, 1e-9);
                double[] rt = new double[16];
                for (int j = 0; j < 16; j++) {
                    rt[j] = t[j] * w2[j] * s2;
                }
                // z+ on the first: R_x = x+ W1+^T s + x- W1-^T s, s = R_t / stab(W1+ x+ + b1+ + W1- x-)
                double[] expected = new double[10];
                for (int j = 0; j < 16; j++) {
                    double zp = Math.max(b1[j], 0);
                    for (int i = 0; i < 10; i++) {
                        double w = w1[j * 10 + i];
                        zp += xn[i] > 0 ? Math.max(w, 0) * xn[i] : Math.min(w, 0) * xn[i];
                    }
                    double s = rt[j] / stabilize(zp, 1e-6);
                    for (int i = 0; i < 10; i++) {
                        double w = w1[j * 10 + i];
                        expected[i] += (xn[i] > 0 ? Math.max(w, 0) : Math.min(w, 0)) * xn[i] * s;
                    }
                }
                for (int i = 0; i < 10; i++) {
                    assertThat(a.values().getDouble(n * 10 + i)).as("example %d, feature %d", n, i)
                            .isCloseTo(expected[i], org.assertj.core.data.Offset.offset(1e-5 + 1e-4 * maxAbs(expected)));
                }
            }
        }
    }

    @Test
    void lrp_guidedBackpropComposite_equalsTheGuidedBackpropMethodAndSeedsOne() {
        try (OnnxModel base = OnnxModel.load(MODELS.resolve("residual_cnn.onnx"));
             OnnxDifferentiableModel m = new OnnxDifferentiableModel(base, PropagationRegistry.standard())) {
            Tensor x = Npy.read(MODELS.resolve("residual_cnn_x.npy"));
            Target t = Target.of(0, 3, 4);
            Attribution viaLrp = new Lrp(m, Lrp.Options.defaults().withComposite("guided-backprop")).attribute(x, t);
            Attribution method = new GuidedBackprop(m, GuidedBackprop.Options.defaults()).attribute(x, t);
            assertThat(maxAbs(method.values().toDoubleArray())).isGreaterThan(1e-4);
            assertThat(viaLrp.values().toDoubleArray()).containsExactly(method.values().toDoubleArray(),
                    org.assertj.core.data.Offset.offset(1e-7));
            assertThat(viaLrp.diagnostics().completenessGap()).as("no conservation gap for a modified gradient")
                    .isEmpty();
            // beta-smooth, also seeded with 1, on the same model: a different modified gradient
            Attribution smooth = new Lrp(m, Lrp.Options.defaults().withComposite(Composites.BETA_SMOOTH)).attribute(x, t);
            double[] smoothGrad = modifiedGradient(m, x, new int[] {0, 3, 4}, Composites.BETA_SMOOTH.rules());
            assertThat(smooth.values().toDoubleArray()).containsExactly(smoothGrad,
                    org.assertj.core.data.Offset.offset(1e-7));
            assertThat(maxAbs(smooth.values().toDoubleArray())).isGreaterThan(1e-4);
        }
    }

    /** The input gradient under {@code rules}, seeded with 1 at each example's target class. */
    private static double[] modifiedGradient(OnnxDifferentiableModel m, Tensor x, int[] targets,
                                             org.explain4j.core.grad.RuleSet rules) {
        int classes = m.forward(x).dim(1);
        float[] seed = new float[x.batchSize() * classes];
        for (int i = 0; i < targets.length; i++) {
            seed[i * classes + targets[i]] = 1f;
        }
        return m.backward(x, Tensor.ofFloats(seed, x.batchSize(), classes),
                org.explain4j.core.grad.BackwardRequest.gradientOfInput().withRules(rules)).inputGradient().orElseThrow()
                .toDoubleArray();
    }

    @Test
    void lrp_recordsTheParametersTheCompositeUsed() {
        try (OnnxModel base = OnnxModel.load(MODELS.resolve("residual_cnn.onnx"));
             OnnxDifferentiableModel m = new OnnxDifferentiableModel(base, PropagationRegistry.standard())) {
            Tensor x = Npy.read(MODELS.resolve("residual_cnn_x.npy"));
            Attribution gammaBox = new Lrp(m, Lrp.Options.defaults().withComposite("epsilon-gamma-box").withGamma(0.5)
                    .withBounds(-3, 3)).attribute(x, Target.of(1));
            assertThat(gammaBox.options()).containsEntry("composite", "epsilon-gamma-box").containsEntry("gamma", 0.5)
                    .containsEntry("epsilon", 1e-6).containsEntry("low", -3.0).containsEntry("high", 3.0)
                    .doesNotContainKey("beta");
            Attribution defaultGamma = new Lrp(m, Lrp.Options.defaults().withComposite("epsilon-gamma-box")
                    .withBounds(-3, 3)).attribute(x, Target.of(1));
            assertThat(defaultGamma.options()).containsEntry("gamma", 0.25);
            assertThat(maxAbs(gammaBox.values().toDoubleArray()) - maxAbs(defaultGamma.values().toDoubleArray()))
                    .as("gamma changes the relevance").isNotCloseTo(0, org.assertj.core.data.Offset.offset(1e-6));
            Attribution alphaBeta = new Lrp(m, Lrp.Options.defaults().withComposite("epsilon-alpha2-beta1").withBeta(2))
                    .attribute(x, Target.of(1));
            assertThat(alphaBeta.options()).containsEntry("beta", 2.0).doesNotContainKey("gamma")
                    .doesNotContainKey("low");
            Attribution excitation = new Lrp(m, Lrp.Options.defaults().withComposite("excitation-backprop"))
                    .attribute(x, Target.of(1));
            assertThat(excitation.options()).containsOnlyKeys("composite", "batch_size");
        }
    }

    @Test
    void lrpOptions_refuseAParameterTheCompositeDoesNotUse() {
        assertThatThrownBy(() -> Lrp.Options.defaults().withComposite("epsilon-plus").withGamma(0.5))
                .isInstanceOfSatisfying(Explain4jException.class, e -> {
                    assertThat(e.kind()).isEqualTo(ErrorKind.USAGE);
                    assertThat(e.argument()).isEqualTo("gamma");
                    assertThat(e.getMessage()).isEqualTo("gamma does not apply to composite 'epsilon-plus'; it applies"
                            + " to epsilon-gamma-box");
                });
        assertThatThrownBy(() -> Lrp.Options.defaults().withComposite("epsilon-gamma-box").withBeta(2))
                .isInstanceOfSatisfying(Explain4jException.class, e -> assertThat(e.getMessage()).isEqualTo(
                        "beta does not apply to composite 'epsilon-gamma-box'; it applies to epsilon-alpha2-beta1,"
                                + " epsilon-alpha2-beta1-flat"));
        assertThatThrownBy(() -> Lrp.Options.defaults().withLow(-1))
                .isInstanceOfSatisfying(Explain4jException.class, e -> assertThat(e.argument()).isEqualTo("low"));
        assertThatThrownBy(() -> Lrp.Options.defaults().withComposite("excitation-backprop").withEpsilon(1e-3))
                .isInstanceOfSatisfying(Explain4jException.class, e -> assertThat(e.argument()).isEqualTo("epsilon"));
        assertThatThrownBy(() -> Lrp.Options.defaults().withComposite("epsilon-gamma-box").withGamma(-1))
                .isInstanceOfSatisfying(Explain4jException.class, e -> assertThat(e.argument()).isEqualTo("gamma"));
        assertThatThrownBy(() -> Lrp.Options.defaults().withComposite("epsilon-gamma-box").withBounds(1, 0))
                .isInstanceOfSatisfying(Explain4jException.class, e -> assertThat(e.argument()).isEqualTo("low"));
        assertThatThrownBy(() -> Lrp.Options.defaults().withComposite("nope"))
                .isInstanceOfSatisfying(Explain4jException.class, e -> assertThat(e.argument()).isEqualTo("composite"));
        assertThatThrownBy(() -> Lrp.Options.defaults().withBatchSize(0))
                .isInstanceOfSatisfying(Explain4jException.class, e -> assertThat(e.argument()).isEqualTo("batch-size"));
        // setting a parameter after switching to a composite that uses it works, and is recorded
        assertThat(Lrp.Options.defaults().withComposite("epsilon-alpha2-beta1-flat").withBeta(3).rules().assignments())
                .anyMatch(o -> o.rule().equals(Rules.ALPHA_BETA) && o.params().get("alpha") == 4.0
                        && o.params().get("beta") == 3.0);
    }

    @Test
    void lrp_composites_propagateThroughSoftmax() {
        // Softmax gets AttnLRP's softmax rule (docs/PROPAGATION.md, "Modern blocks"); it was refused before
        try (OnnxModel base = OnnxModel.load(MODELS.resolve("mlp_softmax.onnx"));
             OnnxDifferentiableModel m = new OnnxDifferentiableModel(base, PropagationRegistry.standard())) {
            Tensor x = Npy.read(MODELS.resolve("mlp_softmax_x.npy"));
            Attribution a = new Lrp(m, Lrp.Options.defaults()).attribute(x, Target.of(0));
            assertThat(a.values().shape()).isEqualTo(x.shape());
            assertThat(java.util.Arrays.stream(a.values().toDoubleArray()).allMatch(Double::isFinite)).isTrue();
            assertThat(maxAbs(a.values().toDoubleArray())).isGreaterThan(1e-6);
        }
    }
}
