package org.explain4j.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.explain4j.core.Attribution;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.catalog.MethodCatalog;
import org.explain4j.core.engine.ProgressListener;
import org.explain4j.core.grad.BackwardRequest;
import org.explain4j.core.grad.BackwardResult;
import org.explain4j.core.grad.PropagationRules;
import org.explain4j.core.model.FedInputs;
import org.explain4j.onnx.grad.OnnxDifferentiableModel;
import org.explain4j.onnx.grad.propagation.PropagationRegistry;
import org.junit.jupiter.api.Test;

/**
 * DeepLIFT through masked attention against an all-[PAD] reference, on the {@code masked_attention}
 * motif (a BERT layer as Hugging Face exports it: mask constant -3.4e38, attention logits up to
 * about 70, all-MiniLM-L6-v2's layer 0 reaching 80; see {@code fixtures/make_motifs.py}). Between a
 * sentence and the reference the log-sum-exp of an attention row moves by up to 39 here (56 in
 * MiniLM); the former softmax rule's multipliers grew as its exponential and cancelled to float32
 * noise: gaps -0.044, -8e-5 and 2.3e5 on output differences 0.019, 0.16 and -0.036, where this
 * rule leaves 3e-8. The MiniLM check itself is in {@link RealModelsGradientTest}.
 */
class MaskedAttentionDeepLiftTest {
    static final String SCORES = "/Add_2_output_0";
    static final String PROBABILITIES = "/Softmax_output_0";

    private static Motifs.Motif motif() {
        return Motifs.all().stream().filter(m -> m.name().equals("masked_attention")).findFirst().orElseThrow();
    }

    private static Map<String, Tensor> others(Map<String, Tensor> in) {
        Map<String, Tensor> f = new LinkedHashMap<>(in);
        f.remove("input_ids");
        return f;
    }

    /**
     * Per example (lengths 8, 5 and 3, the padding masked), the attributions at the word embedding sum
     * to {@code f(x) - f(ref)} within 1e-4 of that difference: float32 rounding leaves 3e-8 here (a
     * sixtieth of the bound); the former rule missed by more than the difference itself.
     */
    @Test
    void wordEmbedding_deepLiftSumsToTheOutputDifferenceForEachExample() {
        Motifs.Motif mo = motif();
        Map<String, Tensor> in = mo.readInputs();
        Tensor ids = in.get("input_ids");
        Map<String, Tensor> fed = others(in);
        try (OnnxModel m = OnnxModel.load(mo.model(), OnnxModel.Options.defaults().withInputName("input_ids"));
             OnnxDifferentiableModel d = new OnnxDifferentiableModel(m, PropagationRegistry.standard())) {
            Attribution a = MethodCatalog.create("deeplift", d, Map.of("layer", mo.embedding().orElseThrow()),
                    ProgressListener.NONE).attribute(ids, FedInputs.of(fed), Target.of(0));
            Tensor fx = m.forward(ids, fed);
            Tensor fr = m.forward(Tensor.ofLongs(new long[ids.size()], ids.shape()), fed);
            double[] gaps = a.diagnostics().completenessGap().orElseThrow();
            int per = a.values().exampleSize();
            for (int n = 0; n < ids.dim(0); n++) {
                double delta = fx.getDouble(n * fx.dim(1)) - fr.getDouble(n * fr.dim(1));
                double sum = 0;
                for (int i = n * per; i < (n + 1) * per; i++) {
                    sum += a.values().getDouble(i);
                }
                assertThat(Math.abs(delta)).as("example %d: the output moves", n).isGreaterThan(1e-3);
                assertThat(Math.abs(sum - delta)).as("example %d: attribution sum %s vs f(x) - f(ref) %s", n, sum, delta)
                        .isLessThan(1e-4 * Math.abs(delta));
                assertThat(gaps[n]).as("example %d: the reported gap is the sum minus the difference", n)
                        .isCloseTo(sum - delta, org.assertj.core.data.Offset.offset(1e-6));
            }
        }
    }

    /**
     * The softmax rule alone conserves: {@code sum(g_y (y - y_ref)) = sum(g_x (x - x_ref))} over the
     * attention scores {@code x} (the masked ones at -3.4e38 included) and probabilities {@code y},
     * with the multipliers captured in one DeepLIFT backward pass; and the masked scores get none.
     */
    @Test
    void softmax_deepLiftMultipliersConserveAtTheNodeAndSkipMaskedScores() {
        Motifs.Motif mo = motif();
        Map<String, Tensor> in = mo.readInputs();
        Tensor ids = in.get("input_ids");
        int n = ids.dim(0);
        int t = ids.dim(1);
        // the batch DeepLIFT runs: the inputs, then their all-[PAD] references; fed inputs for both
        long[] both = new long[2 * ids.size()];
        for (int i = 0; i < ids.size(); i++) {
            both[i] = ids.getLong(i);
        }
        Map<String, Tensor> fed = new LinkedHashMap<>();
        others(in).forEach((k, v) -> fed.put(k, Tensor.concat(List.of(v, v))));
        try (OnnxModel m = OnnxModel.load(mo.model(), OnnxModel.Options.defaults().withInputName("input_ids"));
             OnnxDifferentiableModel d = new OnnxDifferentiableModel(m, PropagationRegistry.standard())) {
            float[] seed = new float[2 * n * 3];
            for (int e = 0; e < n; e++) {
                seed[e * 3] = 1;
            }
            BackwardResult r = d.backward(Tensor.ofLongs(both, 2 * n, t), Tensor.ofFloats(seed, 2 * n, 3),
                    new BackwardRequest(PropagationRules.deepLift(), List.of(SCORES, PROBABILITIES), Map.of(), false)
                            .withInputs(fed));
            Tensor x = r.activations().get(SCORES);
            Tensor gx = r.gradients().get(SCORES);
            Tensor y = r.activations().get(PROBABILITIES);
            Tensor gy = r.gradients().get(PROBABILITIES);
            int per = x.size() / (2 * n);
            Tensor mask = in.get("attention_mask");
            int masked = 0;
            for (int e = 0; e < n; e++) {
                double in0 = 0;
                double out0 = 0;
                double largest = 0;
                for (int i = e * per; i < (e + 1) * per; i++) {
                    int j = i + n * per;
                    in0 += gx.getDouble(i) * (x.getDouble(i) - x.getDouble(j));
                    out0 += gy.getDouble(i) * (y.getDouble(i) - y.getDouble(j));
                    largest = Math.max(largest, Math.abs(x.getDouble(i) - x.getDouble(j)));
                    if (mask.getLong(e * t + i % t) == 0) {
                        masked++;
                        assertThat(gx.getDouble(i)).as("example %d: a masked score's multiplier", e).isZero();
                    }
                }
                assertThat(largest).as("example %d: scores move far from the reference's", e).isGreaterThan(10);
                assertThat(Math.abs(in0 - out0)).as("example %d: softmax in %s vs out %s", e, in0, out0)
                        .isLessThan(1e-4 * Math.abs(out0) + 1e-7);
            }
            assertThat(masked).as("masked scores seen").isPositive();
        }
    }
}
