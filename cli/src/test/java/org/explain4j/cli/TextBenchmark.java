package org.explain4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.explain4j.cli.text.TextTokenizer;
import org.explain4j.cli.text.TokenizedText;
import org.explain4j.core.Baseline;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.engine.ProgressListener;
import org.explain4j.core.method.LayerIntegratedGradients;
import org.explain4j.core.method.LayerOptions;
import org.explain4j.core.model.FedInputs;
import org.explain4j.onnx.OnnxModel;
import org.explain4j.onnx.text.TextGraphs;
import org.junit.jupiter.api.Test;

/**
 * Layer integrated gradients (50 Gauss-Legendre steps) at the word embedding of all-MiniLM-L6-v2
 * for a 32-token sentence, explaining the cosine similarity to a second sentence through the
 * appended head, against the bare forward pass of the unmodified model on the same sentence.
 * Not part of the test suite (the name does not end in Test); run it with
 * {@code mvn -o -q -pl core,onnx,viz,cli -am test -Dtest=TextBenchmark -Dsurefire.failIfNoSpecifiedTests=false}.
 * Prints the best of several repetitions; docs/BENCHMARKS.md, "Text".
 */
class TextBenchmark {
    static final String SENTENCE = "The quick brown fox jumps over the lazy dog while the children watch from the "
            + "old wooden bridge across the quiet river near the village in the early morning light of spring.";

    @Test
    void layerIntegratedGradientsOnMiniLm() throws Exception {
        Path dir = Files.createTempDirectory("text-bench");
        Path model = TextMiniLmTest.copyTo(dir, "/all-minilm-l6-v2.onnx", "minilm.onnx");
        Path tok = TextMiniLmTest.copyTo(dir, "/all-minilm-l6-v2-tokenizer.json", "tokenizer.json");
        int threads = Integer.getInteger("bench.threads", 0);
        try (TextTokenizer t = TextTokenizer.open(tok, 32)) {
            TokenizedText a = t.encode(SENTENCE);
            TokenizedText b = t.encode("Kids look at a fox and a dog by the river.");
            int n = a.size();
            long[] ids = a.tokens().stream().mapToLong(TokenizedText.Token::id).toArray();
            long[] base = ids.clone();
            for (int j = 1; j < n - 1; j++) {
                base[j] = 0;
            }
            long[] ones = new long[n];
            java.util.Arrays.fill(ones, 1);
            Tensor x = Tensor.ofLongs(ids, 1, n);
            Map<String, Tensor> fed = new LinkedHashMap<>();
            fed.put("attention_mask", Tensor.ofLongs(ones, 1, n));
            fed.put("token_type_ids", Tensor.ofLongs(new long[n], 1, n));
            OnnxModel.Options o = OnnxModel.Options.defaults().withThreads(threads).withInputName("input_ids");
            double forwardMs = Double.MAX_VALUE;
            double forward50Ms = Double.MAX_VALUE;
            long[] ids50 = new long[50 * n];
            long[] ones50 = new long[50 * n];
            for (int r = 0; r < 50; r++) {
                System.arraycopy(ids, 0, ids50, r * n, n);
            }
            java.util.Arrays.fill(ones50, 1);
            Map<String, Tensor> fed50 = Map.of("attention_mask", Tensor.ofLongs(ones50, 50, n),
                    "token_type_ids", Tensor.ofLongs(new long[50 * n], 50, n));
            try (OnnxModel plain = OnnxModel.load(model, o)) {
                plain.forward(x, fed);
                for (int r = 0; r < 20; r++) {
                    long s = System.nanoTime();
                    plain.forward(x, fed);
                    forwardMs = Math.min(forwardMs, (System.nanoTime() - s) / 1e6);
                }
                for (int r = 0; r < 3; r++) {
                    long s = System.nanoTime();
                    plain.forward(Tensor.ofLongs(ids50, 50, n), fed50);
                    forward50Ms = Math.min(forward50Ms, (System.nanoTime() - s) / 1e6);
                }
            }
            var proto = TextGraphs.parse(Files.readAllBytes(model));
            byte[] sim = TextGraphs.withSimilarityHead(proto, "last_hidden_state", "attention_mask", "mean");
            float[] ref = new float[384];
            ref[0] = 1; // any unit vector: the cost does not depend on it
            Map<String, Tensor> fedSim = new LinkedHashMap<>(fed);
            fedSim.put(TextGraphs.REFERENCE, Tensor.ofFloats(ref, 1, 384));
            double igMs = Double.MAX_VALUE;
            double firstMs;
            try (ModelLoader.Loaded m = new ModelLoader.Loaded(OnnxModel.fromBytes("minilm-similarity", sim, o))) {
                LayerIntegratedGradients lig = new LayerIntegratedGradients(m, LayerOptions.of(
                        "/embeddings/word_embeddings/Gather_output_0").withBaseline(Baseline.of(Tensor.ofLongs(base, 1, n)))
                        .withSteps(50), ProgressListener.NONE);
                long s0 = System.nanoTime();
                lig.attribute(x, FedInputs.of(fedSim), Target.of(0));
                firstMs = (System.nanoTime() - s0) / 1e6;
                for (int r = 0; r < 3; r++) {
                    long s = System.nanoTime();
                    lig.attribute(x, FedInputs.of(fedSim), Target.of(0));
                    igMs = Math.min(igMs, (System.nanoTime() - s) / 1e6);
                }
            }
            System.out.printf(Locale.ROOT, "TEXT-BENCH tokens=%d threads=%d forward_1row_ms=%.1f forward_50rows_ms=%.0f "
                    + "lig50_first_ms=%.0f lig50_best_ms=%.0f lig/forward1=%.1f lig/forward50=%.2f%n", n, threads, forwardMs,
                    forward50Ms, firstMs, igMs, igMs / forwardMs, igMs / forward50Ms);
        }
    }
}
