package org.explain4j.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.explain4j.core.Attribution;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.catalog.MethodCatalog;
import org.explain4j.core.engine.ProgressListener;
import org.explain4j.core.grad.BackwardRequest;
import org.explain4j.core.grad.BackwardResult;
import org.explain4j.core.grad.RuleSet;
import org.explain4j.core.model.FedInputs;
import org.explain4j.onnx.grad.OnnxDifferentiableModel;
import org.explain4j.onnx.grad.propagation.PropagationRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Gradient, layer and propagation methods on the real third-party models (see
 * {@link RealModelsTest} for the forward checks). Each check is one a wrong backward pass fails:
 * the gradient against central differences along a random direction, and completeness of
 * integrated gradients, completeness of DeepLIFT. Multi-input models run as shipped with their
 * other inputs fed ({@link FedInputs}); the older tests use single-input copies that compute those
 * inputs in the graph ({@link InputBinding}), which the as-shipped Silero test checks against.
 */
class RealModelsGradientTest {
    static final String MINILM_EMBEDDING = "/embeddings/word_embeddings/Gather_output_0";

    @TempDir
    Path tmp;

    // ---------------------------------------------------------------- PP-OCR (opset 9)

    @Test
    void ppOcr_saliency_matchesCentralDifferencesAlongARandomDirection() {
        try (OnnxModel m = OnnxModel.load(RealModels.PPOCR);
             OnnxDifferentiableModel d = new OnnxDifferentiableModel(m)) {
            Tensor x = RealModels.textImage("Hello 2026", false);
            assertDirectionalDerivative(d, x, 0, 1e-2, 0.05);
        }
    }

    @Test
    void ppOcr_integratedGradients_sumToTheOutputDifference() {
        try (OnnxModel m = OnnxModel.load(RealModels.PPOCR);
             OnnxDifferentiableModel d = new OnnxDifferentiableModel(m)) {
            Tensor x = RealModels.textImage("Hello 2026", true);
            // 512 steps: the path crosses many kinks (Clip, HardSigmoid, ReLU, LSTM gates); 64 leave a 8-27% gap
            Attribution a = MethodCatalog.create("integrated-gradients", d, Map.of("steps", 512), ProgressListener.NONE)
                    .attribute(x, Target.of(1));
            assertComplete(m, x, a, 1, 0.05);
        }
    }

    @Test
    void ppOcr_guidedBackprop_isFiniteAndNotAllZero() {
        try (OnnxModel m = OnnxModel.load(RealModels.PPOCR);
             OnnxDifferentiableModel d = new OnnxDifferentiableModel(m, PropagationRegistry.standard())) {
            Tensor x = RealModels.textImage("Hello 2026", false);
            Tensor g = MethodCatalog.create("guided-backprop", d, Map.of(), ProgressListener.NONE).attribute(x, Target.of(0)).values();
            assertThat(g.firstNonFinite()).isNegative();
            assertThat(maxAbs(g)).isGreaterThan(0.0);
        }
    }

    // ---------------------------------------------------------------- all-MiniLM-L6-v2, token ids only

    @Test
    void miniLm_layerIntegratedGradientsAtTheWordEmbedding_sumToTheOutputDifference() throws IOException {
        try (OnnxModel m = OnnxModel.load(write("minilm-ids.onnx", InputBinding.bertIdsOnly(RealModels.miniLmBytes())));
             OnnxDifferentiableModel d = new OnnxDifferentiableModel(m)) {
            long[] ids = RealModels.miniLmTokenizer().encode("the cat sat on the mat");
            Tensor x = Tensor.ofLongs(ids, 1, ids.length);
            int target = 384 + 5; // token 1 ("the"), hidden unit 5
            Attribution a = MethodCatalog.create("layer-integrated-gradients", d,
                    Map.of("layer", MINILM_EMBEDDING, "steps", 32), ProgressListener.NONE).attribute(x, Target.of(target));
            assertThat(a.values().shape()).containsExactly(1, ids.length, 384);
            assertComplete(m, x, a, target, 0.05);
        }
    }

    @Test
    void miniLm_gradientAtTheWordEmbedding_matchesCentralDifferences() throws IOException {
        try (OnnxModel m = OnnxModel.load(write("minilm-ids.onnx", InputBinding.bertIdsOnly(RealModels.miniLmBytes())));
             OnnxDifferentiableModel d = new OnnxDifferentiableModel(m)) {
            long[] ids = RealModels.miniLmTokenizer().encode("the cat sat on the mat");
            Tensor x = Tensor.ofLongs(ids, 1, ids.length);
            int c = ids.length * 384;
            int target = 2 * 384 + 17;
            float[] seed = new float[c];
            seed[target] = 1;
            BackwardResult r = d.backward(x, Tensor.ofFloats(seed, 1, c),
                    new BackwardRequest(RuleSet.gradient(), List.of(MINILM_EMBEDDING), Map.of(), false));
            Tensor e = r.activations().get(MINILM_EMBEDDING);
            Tensor g = r.gradients().get(MINILM_EMBEDDING);
            assertThat(g.shape()).containsExactly(1, ids.length, 384);
            // feed embedding +/- h v and read the output: the directional derivative
            float[] v = randomDirection(e.size(), 3);
            double h = 1e-2;
            double plus = fedOutput(d, x, e, v, h, c, target);
            double minus = fedOutput(d, x, e, v, -h, c, target);
            double fd = (plus - minus) / (2 * h);
            double dot = dot(g, v);
            assertThat(Math.abs(dot - fd)).as("gradient . v = %s, central difference %s", dot, fd)
                    .isLessThan(0.05 * Math.max(Math.abs(fd), 1e-3));
        }
    }

    // ---------------------------------------------------------------- Silero VAD v5, audio only

    @Test
    void silero_saliency_matchesCentralDifferencesAlongARandomDirection() throws IOException {
        try (OnnxModel m = OnnxModel.load(write("silero-audio.onnx", InputBinding.sileroAudioOnly(Files.readAllBytes(RealModels.SILERO))));
             OnnxDifferentiableModel d = new OnnxDifferentiableModel(m)) {
            Tensor x = Tensor.ofFloats(RealModels.voicedChunk(512, 16000, 0), 1, 512);
            assertDirectionalDerivative(d, x, 0, 1e-3, 0.05);
        }
    }

    @Test
    void silero_integratedGradients_sumToTheOutputDifference() throws IOException {
        try (OnnxModel m = OnnxModel.load(write("silero-audio.onnx", InputBinding.sileroAudioOnly(Files.readAllBytes(RealModels.SILERO))));
             OnnxDifferentiableModel d = new OnnxDifferentiableModel(m)) {
            Tensor x = Tensor.ofFloats(RealModels.voicedChunk(512, 16000, 0), 1, 512);
            // 512 steps: the path crosses many kinks (Clip, HardSigmoid, ReLU, LSTM gates); 64 leave a 8-27% gap
            Attribution a = MethodCatalog.create("integrated-gradients", d, Map.of("steps", 512), ProgressListener.NONE)
                    .attribute(x, Target.of(0));
            assertComplete(m, x, a, 0, 0.05);
        }
    }

    // ---------------------------------------------------------------- the multi-input models as shipped

    static FedInputs sileroFed() {
        Map<String, Tensor> f = new java.util.LinkedHashMap<>();
        f.put("state", Tensor.zeros(org.explain4j.core.DType.FLOAT32, 2, 1, 128));
        f.put("sr", Tensor.ofLongs(new long[] {16000}));
        return FedInputs.of(f).withBatchAxis("state", 1).withBatchAxis("sr", FedInputs.AS_IS);
    }

    @Test
    void sileroAsShipped_saliencyEqualsTheBoundModels() throws IOException {
        // the fed state and sample rate give the gradient of the model with them computed in the graph
        Tensor x = Tensor.ofFloats(RealModels.voicedChunk(512, 16000, 0), 1, 512);
        try (OnnxModel shipped = OnnxModel.load(RealModels.SILERO, OnnxModel.Options.defaults().withInputName("input"));
             OnnxDifferentiableModel d = new OnnxDifferentiableModel(shipped);
             OnnxModel bound = OnnxModel.load(write("silero-audio.onnx",
                     InputBinding.sileroAudioOnly(Files.readAllBytes(RealModels.SILERO))));
             OnnxDifferentiableModel b = new OnnxDifferentiableModel(bound)) {
            Tensor fed = MethodCatalog.create("saliency", d, Map.of("abs", false), ProgressListener.NONE)
                    .attribute(x, sileroFed(), Target.of(0)).values();
            Tensor ref = MethodCatalog.create("saliency", b, Map.of("abs", false), ProgressListener.NONE)
                    .attribute(x, Target.of(0)).values();
            double scale = 0;
            for (int i = 0; i < ref.size(); i++) {
                scale = Math.max(scale, Math.abs(ref.getDouble(i)));
            }
            assertThat(scale).isPositive();
            assertThat(maxAbsDiff(fed, ref)).isLessThan(1e-5 * scale);
        }
    }

    @Test
    void sileroAsShipped_deepLiftSumsToTheOutputDifference() {
        // through the STFT magnitude (Pow, Sqrt: rescale), the unrolled LSTM (products) and Sigmoid
        Tensor x = Tensor.ofFloats(RealModels.voicedChunk(512, 16000, 0), 1, 512);
        try (OnnxModel m = OnnxModel.load(RealModels.SILERO, OnnxModel.Options.defaults().withInputName("input"));
             OnnxDifferentiableModel d = new OnnxDifferentiableModel(m, PropagationRegistry.standard())) {
            Attribution a = MethodCatalog.create("deeplift", d, Map.of(), ProgressListener.NONE)
                    .attribute(x, sileroFed(), Target.of(0));
            double delta = m.forward(x, sileroFed().values()).getDouble(0)
                    - m.forward(Tensor.zeros(org.explain4j.core.DType.FLOAT32, 1, 512), sileroFed().values()).getDouble(0);
            assertThat(Math.abs(delta)).as("speech probability moved").isGreaterThan(1e-3);
            double gap = a.diagnostics().completenessGap().orElseThrow()[0];
            assertThat(Math.abs(gap)).as("DeepLIFT gap, output difference %s", delta).isLessThan(1e-3 * Math.abs(delta) + 1e-5);
        }
    }

    /**
     * DeepLIFT at the word embedding, through all six layers: eleven written-out LayerNorms (Div by
     * the std: the quotient rule; Pow, Sqrt: rescale), six attention blocks (Softmax, products, the
     * fed mask, -3.4e38 on the padding), six GELUs via Erf, against an all-[PAD] reference. With the
     * former softmax rule (the product rule on {@code exp(x - m) * (1 / sum)}) the gap was -1.49 for
     * the first sentence on an output difference of 0.33, and -0.025 on 0.10 for the padded one:
     * layer 0's attention rows move their log-sum-exp by up to 56 between the sentence and the
     * reference, and that rule's multipliers, growing as {@code exp(56)}, cancelled to float32 noise
     * (docs/NOTES.md, "DeepLIFT through masked attention"). Now the gaps are float32 rounding
     * (-2.0e-7, 2.6e-7); the bound, 1e-4 of the output difference, leaves a factor 40 for other
     * summation orders and is four orders below the former gaps.
     */
    @Test
    void miniLmAsShipped_deepLiftAtTheWordEmbeddingIsCompleteOnAPaddedBatch() {
        // the second sentence is padded, with attention_mask 0 there
        RealModels.WordPiece tok = RealModels.miniLmTokenizer();
        long[] a = tok.encode("the cat sat on the mat");
        long[] b = tok.encode("a dog ran");
        long[] ids = new long[2 * a.length];
        long[] mask = new long[2 * a.length];
        System.arraycopy(a, 0, ids, 0, a.length);
        System.arraycopy(b, 0, ids, a.length, b.length);
        java.util.Arrays.fill(mask, 0, a.length + b.length, 1);
        Map<String, Tensor> f = new java.util.LinkedHashMap<>();
        f.put("attention_mask", Tensor.ofLongs(mask, 2, a.length));
        f.put("token_type_ids", Tensor.ofLongs(new long[2 * a.length], 2, a.length));
        Tensor x = Tensor.ofLongs(ids, 2, a.length);
        try (OnnxModel m = OnnxModel.load(write0("minilm.onnx", RealModels.miniLmBytes()),
                OnnxModel.Options.defaults().withInputName("input_ids"));
             OnnxDifferentiableModel d = new OnnxDifferentiableModel(m, PropagationRegistry.standard())) {
            Attribution dl = MethodCatalog.create("deeplift", d, Map.of("layer", MINILM_EMBEDDING), ProgressListener.NONE)
                    .attribute(x, FedInputs.of(f), Target.of(0));
            // the reference: all-[PAD] ids (0), with the same mask
            Tensor fx = m.forward(x, f);
            Tensor fr = m.forward(Tensor.ofLongs(new long[2 * a.length], 2, a.length), f);
            double[] gaps = dl.diagnostics().completenessGap().orElseThrow();
            assertThat(gaps).hasSize(2);
            for (int n = 0; n < 2; n++) {
                double delta = fx.getDouble(n * fx.dim(1)) - fr.getDouble(n * fr.dim(1));
                assertThat(Math.abs(delta)).as("example %d: the output moves", n).isGreaterThan(1e-2);
                assertThat(Math.abs(gaps[n])).as("example %d: DeepLIFT gap at the word embedding, output difference %s", n, delta)
                        .isLessThan(1e-4 * Math.abs(delta));
            }
            assertThat(dl.values().shape()).containsExactly(2, a.length, 384);
        }
    }

    private Path write0(String name, byte[] bytes) {
        try {
            return write(name, bytes);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void inputBinding_keepsTheOutputsOfTheMultiInputModels() throws Exception {
        // the bound models compute what the originals compute with ones/zeros/16000 fed (checked in
        // RealModelsTest's terms: same pooled embedding, same speech probability)
        long[] ids = RealModels.miniLmTokenizer().encode("the cat sat on the mat");
        try (OnnxModel m = OnnxModel.load(write("minilm-ids.onnx", InputBinding.bertIdsOnly(RealModels.miniLmBytes())));
             OnnxModel s = OnnxModel.load(write("silero-audio.onnx", InputBinding.sileroAudioOnly(Files.readAllBytes(RealModels.SILERO))))) {
            assertThat(m.signature().inputName()).isEqualTo("input_ids");
            Tensor h = m.forward(Tensor.ofLongs(ids, 1, ids.length));
            assertThat(h.shape()).containsExactly(1, ids.length * 384);
            var session = ai.onnxruntime.OrtEnvironment.getEnvironment().createSession(RealModels.miniLmBytes());
            try (session;
                 var a = ai.onnxruntime.OnnxTensor.createTensor(ai.onnxruntime.OrtEnvironment.getEnvironment(),
                         java.nio.LongBuffer.wrap(ids), new long[] {1, ids.length});
                 var b = ai.onnxruntime.OnnxTensor.createTensor(ai.onnxruntime.OrtEnvironment.getEnvironment(),
                         java.nio.LongBuffer.wrap(ones(ids.length)), new long[] {1, ids.length});
                 var c = ai.onnxruntime.OnnxTensor.createTensor(ai.onnxruntime.OrtEnvironment.getEnvironment(),
                         java.nio.LongBuffer.wrap(new long[ids.length]), new long[] {1, ids.length});
                 var r = session.run(Map.of("input_ids", a, "attention_mask", b, "token_type_ids", c))) {
                Tensor ref = OrtTensors.fromOrt((ai.onnxruntime.OnnxTensor) r.get(0));
                assertThat(maxAbsDiff(h, ref)).isLessThan(1e-5);
            }
            assertThat(s.signature().inputName()).isEqualTo("input");
            Tensor p = s.forward(Tensor.ofFloats(RealModels.voicedChunk(512, 16000, 0), 1, 512));
            assertThat(p.shape()).containsExactly(1, 1);
            assertThat(p.getDouble(0)).isBetween(0.0, 1.0);
        }
    }

    // ---------------------------------------------------------------- helpers

    private Path write(String name, byte[] bytes) throws IOException {
        Path p = tmp.resolve(name);
        if (!Files.exists(p)) {
            Files.write(p, bytes);
        }
        return p;
    }

    /** gradient . v against (f(x + h v) - f(x - h v)) / 2h for output {@code target} of example 0. */
    private static void assertDirectionalDerivative(OnnxDifferentiableModel d, Tensor x, int target, double h, double tol) {
        Tensor out = d.forward(x);
        int c = out.size() / x.dim(0);
        float[] seed = new float[out.size()];
        seed[target] = 1;
        Tensor g = d.backward(x, Tensor.ofFloats(seed, x.dim(0), c), BackwardRequest.gradientOfInput()).inputGradient().orElseThrow();
        float[] v = randomDirection(x.size(), 7);
        float[] xp = x.toFloatArray();
        float[] xm = x.toFloatArray();
        for (int i = 0; i < xp.length; i++) {
            xp[i] += (float) (h * v[i]);
            xm[i] -= (float) (h * v[i]);
        }
        double fd = (d.forward(Tensor.ofFloats(xp, x.shape())).getDouble(target)
                - d.forward(Tensor.ofFloats(xm, x.shape())).getDouble(target)) / (2 * h);
        double dot = dot(g, v);
        assertThat(Math.abs(dot - fd)).as("gradient . v = %s, central difference %s", dot, fd)
                .isLessThan(tol * Math.max(Math.abs(fd), 1e-3));
    }

    /** sum of the attribution against f(x) - f(baseline of zeros) for output {@code target}. */
    private static void assertComplete(OnnxModel m, Tensor x, Attribution a, int target, double tol) {
        double sum = 0;
        for (int i = 0; i < a.values().size(); i++) {
            sum += a.values().getDouble(i);
        }
        double fx = m.forward(x).getDouble(target);
        double f0 = m.forward(Tensor.zeros(x.dtype(), x.shape())).getDouble(target);
        assertThat(Math.abs(fx - f0)).as("f(x) - f(0) must not vanish for the check to mean anything").isGreaterThan(1e-3);
        assertThat(Math.abs(sum - (fx - f0))).as("sum %s, f(x) - f(0) = %s", sum, fx - f0).isLessThan(tol * Math.abs(fx - f0));
    }

    private static double fedOutput(OnnxDifferentiableModel d, Tensor x, Tensor e, float[] v, double h, int c, int target) {
        float[] fed = e.toFloatArray();
        for (int i = 0; i < fed.length; i++) {
            fed[i] += (float) (h * v[i]);
        }
        float[] seed = new float[c];
        seed[target] = 1;
        BackwardResult r = d.backward(x, Tensor.ofFloats(seed, 1, c), new BackwardRequest(RuleSet.gradient(), List.of(),
                Map.of(MINILM_EMBEDDING, Tensor.ofFloats(fed, e.shape())), false));
        return r.output().getDouble(target);
    }

    private static float[] randomDirection(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[n];
        double norm = 0;
        for (int i = 0; i < n; i++) {
            v[i] = (float) (2 * r.nextDouble() - 1);
            norm += v[i] * v[i];
        }
        for (int i = 0; i < n; i++) {
            v[i] /= (float) Math.sqrt(norm);
        }
        return v;
    }

    private static double dot(Tensor g, float[] v) {
        double s = 0;
        for (int i = 0; i < v.length; i++) {
            s += g.getDouble(i) * v[i];
        }
        return s;
    }

    private static long[] ones(int n) {
        long[] o = new long[n];
        java.util.Arrays.fill(o, 1);
        return o;
    }

    private static double maxAbs(Tensor t) {
        double m = 0;
        for (int i = 0; i < t.size(); i++) {
            m = Math.max(m, Math.abs(t.getDouble(i)));
        }
        return m;
    }

    private static double maxAbsDiff(Tensor a, Tensor b) {
        double m = 0;
        for (int i = 0; i < a.size(); i++) {
            m = Math.max(m, Math.abs(a.getDouble(i) - b.getDouble(i)));
        }
        return m;
    }
}
