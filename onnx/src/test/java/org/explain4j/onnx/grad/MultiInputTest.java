package org.explain4j.onnx.grad;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.explain4j.core.Attribution;
import org.explain4j.core.ErrorKind;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.catalog.MethodCatalog;
import org.explain4j.core.catalog.MethodSpec;
import org.explain4j.core.engine.ProgressListener;
import org.explain4j.core.io.AttributionJson;
import org.explain4j.core.model.FedInputs;
import org.explain4j.onnx.OnnxModel;
import org.explain4j.onnx.grad.propagation.PropagationRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Models with several inputs: one explained, the others fed as given, by every method family. */
class MultiInputTest {
    @TempDir
    static Path dir;
    static OnnxModel mlp;
    static OnnxDifferentiableModel grads;

    static final Tensor X = Tensor.ofFloats(new float[] {
        0.5f, -1.0f, 2.0f, 0.3f,
        1.5f, 0.7f, -0.4f, 1.1f,
        -0.6f, 0.9f, 0.8f, -1.3f}, 3, 4);
    static final Tensor MASK = Tensor.ofLongs(new long[] {
        1, 0, 1, 1,
        1, 1, 1, 0,
        0, 1, 1, 1}, 3, 4);
    static final Tensor STATE = Tensor.ofFloats(new float[] {
        0.1f, 0.2f, 0.3f, -0.1f, 0.0f, 0.4f, 0.2f, 0.2f, 0.2f,
        0.5f, -0.3f, 0.1f, 0.3f, 0.1f, -0.2f, 0.0f, 0.1f, 0.0f}, 2, 3, 3);
    static final Tensor SCALE = Tensor.ofFloats(new float[] {1.5f});

    @BeforeAll
    static void load() throws IOException {
        Path file = MultiInputModels.write(MultiInputModels.maskedMlp(-1), dir.resolve("masked_mlp.onnx"));
        mlp = OnnxModel.load(file, OnnxModel.Options.defaults().withInputName("x"));
        grads = new OnnxDifferentiableModel(mlp, PropagationRegistry.standard());
    }

    @AfterAll
    static void close() {
        grads.close();
        mlp.close();
    }

    static FedInputs fed(Tensor mask) {
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("mask", mask);
        m.put("state", STATE);
        m.put("scale", SCALE.reshape());
        return FedInputs.of(m);
    }

    static Attribution run(String method, Map<String, Object> params, Tensor x, FedInputs fed, Target target) {
        MethodSpec spec = MethodCatalog.get(method);
        return spec.create(grads, spec.bind(params), ProgressListener.NONE).attribute(x, fed, target);
    }

    /** The model computed by hand in double precision, for one example. */
    static double[] forward(double[] x, long[] mask, double[] state, int example) {
        var init = new HashMap<String, double[]>();
        for (var t : MultiInputModels.maskedMlp(-1).getGraph().getInitializerList()) {
            if (t.getDataType() == TestModels.FLOAT) {
                float[] f = new float[t.getFloatDataCount() > 0 ? t.getFloatDataCount() : t.getRawData().size() / 4];
                var b = t.getRawData().asReadOnlyByteBuffer().order(java.nio.ByteOrder.LITTLE_ENDIAN);
                double[] d = new double[f.length];
                for (int i = 0; i < d.length; i++) {
                    d[i] = t.getFloatDataCount() > 0 ? t.getFloatData(i) : b.getFloat();
                }
                init.put(t.getName(), d);
            }
        }
        double[] h = new double[6];
        for (int j = 0; j < 6; j++) {
            double s = init.get("b1")[j];
            for (int i = 0; i < 4; i++) {
                s += x[i] * mask[i] * init.get("W1")[i * 6 + j];
            }
            h[j] = Math.max(0, s);
        }
        double[] y = new double[3];
        for (int c = 0; c < 3; c++) {
            double s = init.get("b2")[c];
            for (int j = 0; j < 6; j++) {
                s += h[j] * init.get("W2")[j * 3 + c];
            }
            s += state[(0 * 3 + example) * 3 + c] + state[(1 * 3 + example) * 3 + c];
            y[c] = s + 1.5;
        }
        return y;
    }

    @Test
    void propagationAtALayer_isCompleteThere() {
        // DeepLIFT at the masked input of the first dense layer sums to f(x) - f(reference)
        Attribution d = run("deeplift", Map.of("layer", "xm"), X, fed(MASK), Target.of(0, 1, 2));
        assertThat(d.values().shape()).containsExactly(3, 4);
        for (double g : d.diagnostics().completenessGap().orElseThrow()) {
            assertThat(g).as("DeepLIFT gap at the layer").isCloseTo(0, within(1e-4));
        }
        assertThat(d.options()).containsEntry("layer", "xm");
        // LRP epsilon at that layer: relevance redistributes the output (the biases and the fed state take a share)
        Attribution r = run("lrp", Map.of("composite", "epsilon", "layer", "xm"), X, fed(MASK), Target.of(0, 1, 2));
        Attribution atInputOfDiag = run("layer-gradient-x-activation", Map.of("layer", "xm"), X, fed(MASK),
                Target.of(0, 1, 2));
        assertThat(r.values().shape()).containsExactly(3, 4);
        assertThat(r.values().toFloatArray()).isNotEqualTo(atInputOfDiag.values().toFloatArray());
    }

    @Test
    void forward_withFedInputs_matchesTheModelByHand() {
        Tensor y = mlp.forward(X, fed(MASK).values());
        for (int n = 0; n < 3; n++) {
            double[] x = X.example(n).toDoubleArray();
            double[] expected = forward(x, MASK.example(n).toLongArray(), STATE.toDoubleArray(), n);
            for (int c = 0; c < 3; c++) {
                assertThat(y.getDouble(n * 3 + c)).as("example %d output %d", n, c).isCloseTo(expected[c], within(1e-5));
            }
        }
    }

    @Test
    void integratedGradients_isCompleteAndZeroAtMaskedPositions() {
        Attribution a = run("integrated-gradients", Map.of("steps", 400), X, fed(MASK), Target.of(0, 1, 2));
        assertThat(a.input()).isEqualTo("x");
        for (double g : a.diagnostics().completenessGap().orElseThrow()) {
            assertThat(g).as("completeness gap").isCloseTo(0, within(2e-3));
        }
        for (int i = 0; i < 12; i++) {
            if (MASK.getLong(i) == 0) {
                assertThat(a.values().getDouble(i)).as("masked element %d", i).isEqualTo(0.0);
            }
        }
        // with every position unmasked, the same positions get attributions
        Attribution open = run("integrated-gradients", Map.of("steps", 64), X,
                fed(Tensor.full(org.explain4j.core.DType.INT64, 1, 3, 4)), Target.of(0, 1, 2));
        for (int i = 0; i < 12; i++) {
            if (MASK.getLong(i) == 0) {
                assertThat(Math.abs(open.values().getDouble(i))).as("unmasked element %d", i).isGreaterThan(1e-4);
            }
        }
        assertThat(AttributionJson.toTree(a).get("input").asText()).isEqualTo("x");
    }

    @Test
    void saliency_matchesFiniteDifferencesWithTheFedInputs() {
        Attribution a = run("saliency", Map.of("abs", false), X, fed(MASK), Target.of(2, 0, 1));
        int[] target = {2, 0, 1};
        double h = 1e-3;
        for (int n = 0; n < 3; n++) {
            double[] x = X.example(n).toDoubleArray();
            for (int e = 0; e < 4; e++) {
                double[] up = x.clone();
                double[] down = x.clone();
                up[e] += h;
                down[e] -= h;
                double fd = (forward(up, MASK.example(n).toLongArray(), STATE.toDoubleArray(), n)[target[n]]
                        - forward(down, MASK.example(n).toLongArray(), STATE.toDoubleArray(), n)[target[n]]) / (2 * h);
                assertThat(a.values().getDouble(n * 4 + e)).as("example %d element %d", n, e).isCloseTo(fd, within(1e-3));
            }
        }
    }

    @Test
    void everyFamily_givesZeroAtMaskedPositions() {
        Map<String, Map<String, Object>> methods = new LinkedHashMap<>();
        methods.put("input-x-gradient", Map.of());
        methods.put("deeplift", Map.of());
        methods.put("guided-backprop", Map.of());
        methods.put("lrp", Map.of("composite", "epsilon", "layer", "xm"));
        methods.put("deeplift-shap", Map.of("layer", "xm", "baseline", org.explain4j.core.Baseline.distribution(
                Tensor.ofFloats(new float[] {0, 0, 0, 0, 0.5f, 0.5f, -0.5f, 0.5f}, 2, 4))));
        methods.put("layer-integrated-gradients", Map.of("layer", "xm", "steps", 16));
        methods.put("occlusion", Map.of("window", new int[] {1}));
        methods.put("feature-ablation", Map.of());
        methods.put("shapley-value-sampling", Map.of("samples", 20, "seed", 3L));
        methods.put("kernel-shap", Map.of("samples", 100, "seed", 3L));
        for (Map.Entry<String, Map<String, Object>> m : methods.entrySet()) {
            Attribution a = run(m.getKey(), m.getValue(), X, fed(MASK), Target.of(0, 1, 2));
            double total = 0;
            for (int i = 0; i < 12; i++) {
                total += Math.abs(a.values().getDouble(i));
                if (MASK.getLong(i) == 0) {
                    // exact for every method but the KernelSHAP regression (a least-squares solve: round-off)
                    double tolerance = m.getKey().equals("kernel-shap") ? 1e-9 : 0;
                    assertThat(a.values().getDouble(i)).as("%s at masked element %d", m.getKey(), i)
                            .isCloseTo(0.0, within(tolerance));
                }
            }
            assertThat(total).as("%s total", m.getKey()).isGreaterThan(1e-3);
        }
    }

    @Test
    void perturbation_outputDifferencesUseEachExamplesOwnFedInputs() {
        // feature ablation of a single element against zero: f(x) - f(x with element e = 0), per example
        Attribution a = run("feature-ablation", Map.of(), X, fed(MASK), Target.of(1, 1, 1));
        for (int n = 0; n < 3; n++) {
            double[] x = X.example(n).toDoubleArray();
            double full = forward(x, MASK.example(n).toLongArray(), STATE.toDoubleArray(), n)[1];
            for (int e = 0; e < 4; e++) {
                double[] z = x.clone();
                z[e] = 0;
                double expected = full - forward(z, MASK.example(n).toLongArray(), STATE.toDoubleArray(), n)[1];
                assertThat(a.values().getDouble(n * 4 + e)).isCloseTo(expected, within(1e-4));
            }
        }
    }

    @Test
    void seededMethods_areBitIdenticalWhateverTheBatchSize() {
        for (String method : List.of("gradient-shap", "smoothgrad", "shapley-value-sampling", "lime")) {
            Map<String, Object> p = new HashMap<>(Map.of("samples", 12, "seed", 5L));
            if (method.equals("gradient-shap")) {
                p.put("baseline", org.explain4j.core.Baseline.constant(0.2));
            }
            Tensor ref = null;
            for (int batch : new int[] {1, 3, 64}) {
                p.put("batch-size", batch);
                Tensor v = run(method, p, X, fed(MASK), Target.of(0, 1, 2)).values();
                if (ref == null) {
                    ref = v;
                } else {
                    assertThat(v.toFloatArray()).as("%s at batch size %d", method, batch).containsExactly(ref.toFloatArray());
                }
            }
        }
    }

    @Test
    void sharedFedInput_withOneSlice_equalsItRepeatedPerExample() {
        Tensor oneMask = MASK.slice(0, 1);
        Tensor repeated = Tensor.concat(List.of(oneMask, oneMask, oneMask));
        Attribution shared = run("integrated-gradients", Map.of("steps", 8), X, fed(oneMask), Target.of(0));
        Attribution each = run("integrated-gradients", Map.of("steps", 8), X, fed(repeated), Target.of(0));
        assertThat(shared.values().toFloatArray()).containsExactly(each.values().toFloatArray());
    }

    @Test
    void missingUnknownAndMisshapenFedInputs_areOneLineErrors() {
        Map<String, Tensor> missing = new LinkedHashMap<>(fed(MASK).values());
        missing.remove("state");
        assertThatThrownBy(() -> run("saliency", Map.of(), X, FedInputs.of(missing), Target.of(0)))
                .isInstanceOf(Explain4jException.class).hasMessageContaining("'state'").hasMessageContaining("not given")
                .satisfies(e -> assertThat(((Explain4jException) e).kind()).isEqualTo(ErrorKind.USAGE));
        Map<String, Tensor> unknown = new LinkedHashMap<>(fed(MASK).values());
        unknown.put("token_type_ids", MASK);
        assertThatThrownBy(() -> run("saliency", Map.of(), X, FedInputs.of(unknown), Target.of(0)))
                .isInstanceOf(Explain4jException.class).hasMessageContaining("no input named 'token_type_ids'");
        Map<String, Tensor> wrong = new LinkedHashMap<>(fed(MASK).values());
        wrong.put("mask", Tensor.ofLongs(new long[10], 2, 5));
        assertThatThrownBy(() -> run("occlusion", Map.of("window", new int[] {1}), X, FedInputs.of(wrong), Target.of(0)))
                .isInstanceOf(Explain4jException.class).hasMessageContaining("'mask'")
                .satisfies(e -> assertThat(((Explain4jException) e).kind()).isEqualTo(ErrorKind.SHAPE))
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    @Test
    void tokenModel_isExplainedThroughTheEmbeddingWithItsMaskFed() throws IOException {
        Path file = MultiInputModels.write(MultiInputModels.tokens(), dir.resolve("tokens.onnx"));
        try (OnnxModel tokens = OnnxModel.load(file, OnnxModel.Options.defaults().withInputName("ids"));
             OnnxDifferentiableModel g = new OnnxDifferentiableModel(tokens, PropagationRegistry.standard())) {
            Tensor ids = Tensor.ofLongs(new long[] {3, 1, 4, 1, 5, 9, 2, 6, 5, 3}, 2, 5);
            Tensor mask = Tensor.ofLongs(new long[] {1, 1, 1, 0, 0, 1, 1, 1, 1, 1}, 2, 5);
            FedInputs f = FedInputs.of(Map.of("attention_mask", mask));
            for (String method : List.of("layer-integrated-gradients", "layer-gradient-x-activation", "deeplift")) {
                MethodSpec spec = MethodCatalog.get(method);
                Map<String, Object> p = new HashMap<>(Map.of("layer", "emb"));
                Attribution a = spec.create(g, spec.bind(p), ProgressListener.NONE).attribute(ids, f, Target.of(1));
                assertThat(a.values().shape()).as(method).containsExactly(2, 5, 4);
                for (int t = 0; t < 10; t++) {
                    for (int d = 0; d < 4; d++) {
                        double v = a.values().getDouble(t * 4 + d);
                        if (mask.getLong(t) == 0) {
                            assertThat(v).as("%s, masked token %d", method, t).isEqualTo(0.0);
                        }
                    }
                }
                if (!method.equals("layer-gradient-x-activation")) {
                    for (double gap : a.diagnostics().completenessGap().orElseThrow()) {
                        assertThat(gap).as("completeness gap").isCloseTo(0, within(1e-4));
                    }
                }
            }
        }
    }
}
