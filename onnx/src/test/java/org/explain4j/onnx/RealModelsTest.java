package org.explain4j.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.explain4j.core.DType;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.method.Occlusion;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Third-party models that nobody on the team wrote (see {@code fixtures/real/README.md}): the
 * PP-OCR text-orientation classifier and Silero VAD v5 (committed) and all-MiniLM-L6-v2 (a
 * test-scoped Maven dependency). Each test checks a property a wrong loader or runner breaks.
 * Multi-input models run through ONNX Runtime's {@link OrtSession} directly.
 */
class RealModelsTest {
    static final OrtEnvironment ENV = OrtEnvironment.getEnvironment();
    static OrtSession silero;
    static OrtSession miniLm;
    static RealModels.WordPiece tokenizer;

    @BeforeAll
    static void open() throws Exception {
        silero = ENV.createSession(RealModels.SILERO.toString(), new OrtSession.SessionOptions());
        miniLm = ENV.createSession(RealModels.miniLmBytes(), new OrtSession.SessionOptions());
        tokenizer = RealModels.miniLmTokenizer();
    }

    @AfterAll
    static void close() throws OrtException {
        silero.close();
        miniLm.close();
    }

    // ---------------------------------------------------------------- PP-OCR

    @Test
    void ppOcr_loadsAsSingleInputFloatModelWithTwoClasses() {
        try (OnnxModel m = OnnxModel.load(RealModels.PPOCR)) {
            assertThat(m.signature().inputName()).isEqualTo("x");
            assertThat(m.signature().inputType()).isEqualTo(DType.FLOAT32);
            assertThat(m.signature().exampleShape()).containsExactly(3, -1, -1);
            assertThat(m.outputName()).isEqualTo("softmax_0.tmp_0");
        }
    }

    @Test
    void ppOcr_outputsTwoProbabilitiesSummingToOnePerRow() {
        try (OnnxModel m = OnnxModel.load(RealModels.PPOCR)) {
            Tensor x = Tensor.concat(List.of(RealModels.textImage("Hello 2026", false),
                    RealModels.textImage("Hello 2026", true), RealModels.noiseImage(11)));
            Tensor p = m.forward(x);
            assertThat(p.shape()).containsExactly(3, 2);
            for (int n = 0; n < 3; n++) {
                double a = p.getDouble(2 * n);
                double b = p.getDouble(2 * n + 1);
                assertThat(a).as("row %d", n).isBetween(0.0, 1.0);
                assertThat(b).as("row %d", n).isBetween(0.0, 1.0);
                assertThat(a + b).as("row %d sums to 1", n).isCloseTo(1.0, within(1e-5));
            }
        }
    }

    @Test
    void ppOcr_rotatingTextBy180Degrees_flipsThePredictedClass() {
        // class 0 is "0 degrees", class 1 "180 degrees" (PaddleOCR's label_list ['0', '180']).
        // The model was trained on Chinese text lines; on rendered Latin text it is right for most
        // lines (e.g. it calls an upright "The quick fox" rotated): at least 7 of these 8 pairs
        // must flip, where a runner that ignores the image gets none and a wrong layout few.
        List<String> texts = List.of("Hello 2026", "explain4j ONNX", "Invoice 123", "ONNX Runtime", "2026-11-30",
                "Total: 42.00", "Java 17", "Model card");
        try (OnnxModel m = OnnxModel.load(RealModels.PPOCR)) {
            int flipped = 0;
            StringBuilder report = new StringBuilder();
            for (String text : texts) {
                Tensor p = m.forward(Tensor.concat(List.of(RealModels.textImage(text, false),
                        RealModels.textImage(text, true))));
                boolean ok = p.getDouble(0) > 0.5 && p.getDouble(3) > 0.5;
                flipped += ok ? 1 : 0;
                report.append(String.format("%n'%s': P(0 | upright) %.3f, P(180 | rotated) %.3f", text,
                        p.getDouble(0), p.getDouble(3)));
            }
            assertThat(flipped).as("text lines whose rotation flips the class:%s", report).isGreaterThanOrEqualTo(7);
        }
    }

    @Test
    void ppOcr_occlusion_isZeroOverThePaddingAndNonZeroOverTheText() {
        try (OnnxModel m = OnnxModel.load(RealModels.PPOCR)) {
            Tensor x = RealModels.textImage("Hello", false);
            int textEnd = RealModels.textWidth("Hello");
            assertThat(textEnd).isLessThan(112);
            var options = Occlusion.Options.window(3, 12, 16).withStride(3, 12, 16);
            Tensor a = new Occlusion(m, options).attribute(x, Target.of(0)).values();
            assertThat(a.shape()).containsExactly(1, 3, 48, 192);
            // the padding is already the zero baseline: hiding it changes nothing, exactly
            double padding = 0;
            double text = 0;
            for (int y = 0; y < 48; y++) {
                for (int col = 0; col < 192; col++) {
                    double v = Math.abs(a.getDouble(y * 192 + col));
                    if (col >= 112) {
                        padding = Math.max(padding, v);
                    } else if (col < textEnd) {
                        text = Math.max(text, v);
                    }
                }
            }
            assertThat(padding).as("occlusion over the zero padding").isEqualTo(0.0);
            assertThat(text).as("occlusion over the text").isGreaterThan(1e-3);
        }
    }

    // ---------------------------------------------------------------- Silero VAD v5

    @Test
    void silero_declaresInputStateAndSampleRate() throws OrtException {
        Map<String, NodeInfo> in = silero.getInputInfo();
        assertThat(in.keySet()).containsExactly("input", "state", "sr");
        assertThat(((TensorInfo) in.get("input").getInfo()).type).isEqualTo(OnnxJavaType.FLOAT);
        assertThat(((TensorInfo) in.get("state").getInfo()).getShape()).hasSize(3).startsWith(2L);
        assertThat(((TensorInfo) in.get("sr").getInfo()).type).isEqualTo(OnnxJavaType.INT64);
        assertThat(silero.getOutputInfo().keySet()).containsExactly("output", "stateN");
    }

    @Test
    void silero_speechProbabilityInUnitInterval_andStateKeepsItsShape() throws OrtException {
        float[] chunk = RealModels.voicedChunk(512, 16000, 0);
        float[] state = new float[2 * 128];
        Map<String, Tensor> r = runSilero(chunk, state);
        Tensor p = r.get("output");
        assertThat(p.shape()).containsExactly(1, 1);
        assertThat(p.getDouble(0)).isBetween(0.0, 1.0);
        assertThat(r.get("stateN").shape()).containsExactly(2, 1, 128);
        // the LSTM state moved away from the zeros it started from
        double norm = 0;
        for (float v : r.get("stateN").toFloatArray()) {
            norm += v * v;
        }
        assertThat(norm).isGreaterThan(1e-6);
    }

    @Test
    void silero_feedingTheReturnedState_changesTheNextOutput() throws OrtException {
        float[] first = RealModels.voicedChunk(512, 16000, 0);
        float[] second = RealModels.voicedChunk(512, 16000, 512);
        Map<String, Tensor> r1 = runSilero(first, new float[256]);
        Tensor fresh = runSilero(second, new float[256]).get("output");
        Map<String, Tensor> carried = runSilero(second, r1.get("stateN").toFloatArray());
        assertThat(Math.abs(carried.get("output").getDouble(0) - fresh.getDouble(0)))
                .as("output with the carried state against a zero state").isGreaterThan(1e-5);
        // and the run is a function of (input, state): the same call twice gives the same value
        assertThat(runSilero(second, r1.get("stateN").toFloatArray()).get("output").getDouble(0))
                .isEqualTo(carried.get("output").getDouble(0));
    }

    @Test
    void silero_silenceScoresBelowAVoicedSignalAfterWarmUp() throws OrtException {
        float[] state = new float[256];
        float[] silentState = new float[256];
        double voiced = 0;
        double silent = 0;
        for (int k = 0; k < 16; k++) {
            Map<String, Tensor> v = runSilero(RealModels.voicedChunk(512, 16000, 512 * k), state);
            state = v.get("stateN").toFloatArray();
            voiced = v.get("output").getDouble(0);
            Map<String, Tensor> s = runSilero(new float[512], silentState);
            silentState = s.get("stateN").toFloatArray();
            silent = s.get("output").getDouble(0);
        }
        assertThat(silent).as("speech probability of digital silence").isLessThan(0.1);
        assertThat(voiced).as("voiced signal scores above silence").isGreaterThan(silent);
    }

    private static Map<String, Tensor> runSilero(float[] chunk, float[] state) throws OrtException {
        try (OnnxTensor in = OnnxTensor.createTensor(ENV, java.nio.FloatBuffer.wrap(chunk), new long[] {1, chunk.length});
             OnnxTensor st = OnnxTensor.createTensor(ENV, java.nio.FloatBuffer.wrap(state), new long[] {2, 1, 128});
             OnnxTensor sr = OnnxTensor.createTensor(ENV, java.nio.LongBuffer.wrap(new long[] {16000}), new long[0]);
             OrtSession.Result r = silero.run(Map.of("input", in, "state", st, "sr", sr))) {
            Map<String, Tensor> out = new HashMap<>();
            out.put("output", OrtTensors.fromOrt((OnnxTensor) r.get("output").orElseThrow()));
            out.put("stateN", OrtTensors.fromOrt((OnnxTensor) r.get("stateN").orElseThrow()));
            return out;
        }
    }

    // ---------------------------------------------------------------- all-MiniLM-L6-v2

    @Test
    void miniLm_declaresThreeInt64InputsAndA384WideOutput() throws OrtException {
        Map<String, NodeInfo> in = miniLm.getInputInfo();
        assertThat(in.keySet()).containsExactlyInAnyOrder("input_ids", "attention_mask", "token_type_ids");
        for (NodeInfo ni : in.values()) {
            TensorInfo ti = (TensorInfo) ni.getInfo();
            assertThat(ti.type).as(ni.getName()).isEqualTo(OnnxJavaType.INT64);
            assertThat(ti.getShape()).as(ni.getName()).containsExactly(-1L, -1L);
        }
        TensorInfo out = (TensorInfo) miniLm.getOutputInfo().get("last_hidden_state").getInfo();
        assertThat(out.getShape()).containsExactly(-1L, -1L, 384L);
    }

    @Test
    void miniLm_tokenizerFollowsBertWordPiece() {
        assertThat(tokenizer.encode("Hello, world!")).containsExactly(101, 7592, 1010, 2088, 999, 102);
        // a word outside the vocabulary is split into word pieces
        long[] ids = tokenizer.encode("explainability");
        assertThat(ids.length).isGreaterThan(3);
        assertThat(ids[0]).isEqualTo(101);
        assertThat(ids[ids.length - 1]).isEqualTo(102);
    }

    @Test
    void miniLm_outputIsBatchByTokensBy384() throws OrtException {
        long[][] batch = {tokenizer.encode("the cat sat on the mat"), tokenizer.encode("the dog ran on the mat")};
        assertThat(batch[0]).hasSameSizeAs(batch[1]);
        Tensor h = runMiniLm(batch, null);
        assertThat(h.shape()).containsExactly(2, batch[0].length, 384);
    }

    @Test
    void miniLm_meanPooledEmbeddings_cosineOneWithItselfBelowOneOtherwise() throws OrtException {
        long[] a = tokenizer.encode("the cat sat on the mat");
        long[] b = tokenizer.encode("stock markets fell sharply today");
        long[] c = tokenizer.encode("a cat was sitting on the rug");
        double[] ea = meanPooled(runMiniLm(new long[][] {a}, null), ones(a), 0);
        double[] ea2 = meanPooled(runMiniLm(new long[][] {a}, null), ones(a), 0);
        double[] eb = meanPooled(runMiniLm(new long[][] {b}, null), ones(b), 0);
        double[] ec = meanPooled(runMiniLm(new long[][] {c}, null), ones(c), 0);
        assertThat(cosine(ea, ea2)).isCloseTo(1.0, within(1e-6));
        assertThat(cosine(ea, eb)).isLessThan(0.999);
        // a trained sentence encoder puts a paraphrase nearer than an unrelated sentence
        assertThat(cosine(ea, ec)).isGreaterThan(cosine(ea, eb));
    }

    @Test
    void miniLm_paddingMaskedOut_leavesTheMeanPooledEmbeddingUnchanged() throws OrtException {
        long[] a = tokenizer.encode("the cat sat on the mat");
        long[] padded = java.util.Arrays.copyOf(a, a.length + 4);  // [PAD] = 0
        long[][] mask = {new long[padded.length]};
        for (int i = 0; i < a.length; i++) {
            mask[0][i] = 1;
        }
        double[] plain = meanPooled(runMiniLm(new long[][] {a}, null), ones(a), 0);
        double[] masked = meanPooled(runMiniLm(new long[][] {padded}, mask), mask, 0);
        assertThat(cosine(plain, masked)).isCloseTo(1.0, within(1e-5));
        // without the mask the padding tokens are attended to and the embedding moves
        long[][] ones = {new long[padded.length]};
        java.util.Arrays.fill(ones[0], 1);
        double[] unmasked = meanPooled(runMiniLm(new long[][] {padded}, ones), mask, 0);
        assertThat(cosine(plain, unmasked)).isLessThan(1.0 - 1e-5);
    }

    private static long[][] ones(long[] ids) {
        long[][] m = {new long[ids.length]};
        java.util.Arrays.fill(m[0], 1);
        return m;
    }

    /** Runs MiniLM on equal-length rows; {@code mask} null means all ones. token_type_ids are 0. */
    private static Tensor runMiniLm(long[][] ids, long[][] mask) throws OrtException {
        int n = ids.length;
        int t = ids[0].length;
        long[] flatIds = new long[n * t];
        long[] flatMask = new long[n * t];
        for (int i = 0; i < n; i++) {
            System.arraycopy(ids[i], 0, flatIds, i * t, t);
            for (int j = 0; j < t; j++) {
                flatMask[i * t + j] = mask == null ? 1 : mask[i][j];
            }
        }
        long[] shape = {n, t};
        try (OnnxTensor a = OnnxTensor.createTensor(ENV, java.nio.LongBuffer.wrap(flatIds), shape);
             OnnxTensor b = OnnxTensor.createTensor(ENV, java.nio.LongBuffer.wrap(flatMask), shape);
             OnnxTensor c = OnnxTensor.createTensor(ENV, java.nio.LongBuffer.wrap(new long[n * t]), shape);
             OrtSession.Result r = miniLm.run(Map.of("input_ids", a, "attention_mask", b, "token_type_ids", c))) {
            return OrtTensors.fromOrt((OnnxTensor) r.get(0));
        }
    }

    /** sentence-transformers' mean pooling: the mask-weighted mean over tokens of row {@code row}. */
    static double[] meanPooled(Tensor hidden, long[][] mask, int row) {
        int t = hidden.dim(1);
        int d = hidden.dim(2);
        double[] e = new double[d];
        double count = 0;
        for (int j = 0; j < t; j++) {
            double w = mask[row][j];
            count += w;
            for (int k = 0; k < d; k++) {
                e[k] += w * hidden.getDouble((row * t + j) * d + k);
            }
        }
        for (int k = 0; k < d; k++) {
            e[k] /= count;
        }
        return e;
    }

    static double cosine(double[] a, double[] b) {
        double ab = 0;
        double aa = 0;
        double bb = 0;
        for (int i = 0; i < a.length; i++) {
            ab += a[i] * b[i];
            aa += a[i] * a[i];
            bb += b[i] * b[i];
        }
        return ab / Math.sqrt(aa * bb);
    }
}
