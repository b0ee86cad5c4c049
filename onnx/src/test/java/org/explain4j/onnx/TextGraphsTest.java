package org.explain4j.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Map;
import org.explain4j.core.Tensor;
import org.explain4j.onnx.text.TextGraphs;
import org.junit.jupiter.api.Test;

/**
 * The pooling and cosine heads appended to all-MiniLM-L6-v2 against the same pooling done here in
 * Java on the unmodified model's token vectors, on a padded batch (mask 0 on the padding).
 */
class TextGraphsTest {
    static final int T = 12;
    static final long[] IDS = {101, 7668, 15743, 100, 1879, 1755, 4895, 8671, 2666, 3567, 6321, 102,
                               101, 7668, 15743, 102, 0, 0, 0, 0, 0, 0, 0, 0};
    static final long[] MASK = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
                                1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0};

    static Map<String, Tensor> fed() {
        return Map.of("attention_mask", Tensor.ofLongs(MASK, 2, T), "token_type_ids", Tensor.ofLongs(new long[2 * T], 2, T));
    }

    static OnnxModel.Options options() {
        return OnnxModel.Options.defaults().withInputName("input_ids");
    }

    /** Per row, the mean over unmasked tokens (mean) or the first token's vector (cls), from the plain model. */
    static double[][] pooled(boolean cls) {
        try (OnnxModel m = OnnxModel.fromBytes("minilm", RealModels.miniLmBytes(), options())) {
            Tensor h = m.forward(Tensor.ofLongs(IDS, 2, T), fed());
            int d = h.exampleSize() / T;
            double[][] out = new double[2][d];
            for (int n = 0; n < 2; n++) {
                int count = 0;
                for (int j = 0; j < T; j++) {
                    if (MASK[n * T + j] == 0 || (cls && j > 0)) {
                        continue;
                    }
                    count++;
                    for (int k = 0; k < d; k++) {
                        out[n][k] += h.getDouble((n * T + j) * d + k);
                    }
                }
                for (int k = 0; k < d; k++) {
                    out[n][k] /= count;
                }
            }
            return out;
        }
    }

    @Test
    void embeddingHead_meanAndCls_equalPoolingInJava() {
        var proto = TextGraphs.parse(RealModels.miniLmBytes());
        for (String pooling : new String[] {"mean", "cls"}) {
            double[][] expected = pooled(pooling.equals("cls"));
            byte[] bytes = TextGraphs.withEmbeddingHead(proto, "last_hidden_state", "attention_mask", pooling);
            try (OnnxModel m = OnnxModel.fromBytes("minilm-" + pooling, bytes, options())) {
                Tensor e = m.forward(Tensor.ofLongs(IDS, 2, T), fed());
                assertThat(e.shape()).containsExactly(2, 384);
                for (int n = 0; n < 2; n++) {
                    for (int k = 0; k < 384; k++) {
                        assertThat(e.getDouble(n * 384 + k)).as(pooling + " row " + n).isCloseTo(expected[n][k], within(2e-5));
                    }
                }
            }
        }
        // the padded row's mean differs from a mean over all 12 positions: the mask is honoured
        double[][] mean = pooled(false);
        assertThat(Math.abs(mean[1][0] - mean[0][0])).isGreaterThan(1e-3);
    }

    @Test
    void similarityHead_isTheCosineWithTheFedReference() {
        double[][] v = pooled(false);
        double na = Math.sqrt(dot(v[0], v[0]));
        double nb = Math.sqrt(dot(v[1], v[1]));
        float[] ref = new float[2 * 384];
        for (int k = 0; k < 384; k++) {
            ref[k] = (float) (v[1][k] / nb); // row 0 against row 1's embedding
            ref[384 + k] = (float) (v[0][k] / na); // row 1 against row 0's
        }
        byte[] bytes = TextGraphs.withSimilarityHead(TextGraphs.parse(RealModels.miniLmBytes()), "last_hidden_state",
                "attention_mask", "mean");
        Map<String, Tensor> fed = new java.util.HashMap<>(fed());
        fed.put(TextGraphs.REFERENCE, Tensor.ofFloats(ref, 2, 384));
        try (OnnxModel m = OnnxModel.fromBytes("minilm-sim", bytes, options())) {
            Tensor cos = m.forward(Tensor.ofLongs(IDS, 2, T), fed);
            double expected = dot(v[0], v[1]) / (na * nb);
            assertThat(cos.shape()).containsExactly(2, 1);
            assertThat(cos.getDouble(0)).isCloseTo(expected, within(1e-5));
            assertThat(cos.getDouble(1)).isCloseTo(expected, within(1e-5));
            assertThat(expected).isLessThan(0.99);
        }
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }
}
