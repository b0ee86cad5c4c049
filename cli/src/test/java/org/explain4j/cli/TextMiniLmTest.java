package org.explain4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.explain4j.core.Tensor;
import org.explain4j.core.io.Npy;
import org.explain4j.onnx.OnnxModel;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code explain --tokenizer --text --similar-to} on the real all-MiniLM-L6-v2 (test dependency):
 * the similarity the appended graph computes, the per-token values the report shows and their
 * completeness are checked against the plain model's token vectors pooled and compared here, in
 * Java, independently of the graph extension.
 */
class TextMiniLmTest {
    static final String A = "A man is playing a guitar on stage.";
    static final String B = "Someone performs music at a concert.";

    @TempDir
    static Path dir;
    static Path model;
    static Path tokenizer;
    static JsonNode result;
    static Path out;

    @BeforeAll
    static void run() throws IOException {
        model = copy("/all-minilm-l6-v2.onnx", "minilm.onnx");
        tokenizer = copy("/all-minilm-l6-v2-tokenizer.json", "tokenizer.json");
        out = dir.resolve("out");
        CliRunner.Run r = CliRunner.run("explain", "--model", model.toString(), "--tokenizer", tokenizer.toString(),
                "--text", A, "--similar-to", B, "--methods", "layer-integrated-gradients,deeplift,lrp,kernel-shap",
                "--out", out.toString(), "--quiet");
        assertThat(r.exitCode()).as(r.err() + r.out()).isZero();
        result = new ObjectMapper().readTree(out.resolve("text.json").toFile());
    }

    static Path copy(String resource, String name) throws IOException {
        return copyTo(dir, resource, name);
    }

    /** Copies a test-classpath resource (the MiniLM jar's files) to {@code folder/name}. */
    static Path copyTo(Path folder, String resource, String name) throws IOException {
        Path p = folder.resolve(name);
        try (InputStream in = TextMiniLmTest.class.getResourceAsStream(resource)) {
            assertThat(in).as(resource + " on the test classpath").isNotNull();
            Files.copy(in, p);
        }
        return p;
    }

    /** The mean-pooled sentence vectors of {@code ids} (N, T) with all-ones masks, from the unmodified model. */
    static double[][] meanPooled(OnnxModel m, Tensor ids) {
        int n = ids.dim(0);
        int t = ids.dim(1);
        long[] ones = new long[n * t];
        java.util.Arrays.fill(ones, 1);
        Tensor h = m.forward(ids, Map.of("attention_mask", Tensor.ofLongs(ones, n, t),
                "token_type_ids", Tensor.ofLongs(new long[n * t], n, t)));
        int d = h.exampleSize() / t;
        double[][] v = new double[n][d];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < t; j++) {
                for (int k = 0; k < d; k++) {
                    v[i][k] += h.getDouble((i * t + j) * d + k) / t;
                }
            }
        }
        return v;
    }

    static double cosine(double[] a, double[] b) {
        double ab = 0;
        double aa = 0;
        double bb = 0;
        for (int k = 0; k < a.length; k++) {
            ab += a[k] * b[k];
            aa += a[k] * a[k];
            bb += b[k] * b[k];
        }
        return ab / Math.sqrt(aa * bb);
    }

    static long[] ids(JsonNode example) {
        JsonNode toks = example.get("tokens");
        long[] v = new long[toks.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = toks.get(i).get("id").asLong();
        }
        return v;
    }

    static double sum(JsonNode a) {
        double s = 0;
        for (JsonNode v : a) {
            s += v.asDouble();
        }
        return s;
    }

    @Test
    void similarity_andIntegratedGradientsCompleteness_agreeWithThePlainModel() {
        JsonNode ea = result.get("examples").get(0);
        JsonNode eb = result.get("examples").get(1);
        assertThat(ea.get("side").asText()).isEqualTo("A");
        assertThat(eb.get("side").asText()).isEqualTo("B");
        long[] a = ids(ea);
        long[] b = ids(eb);
        try (OnnxModel m = OnnxModel.load(model, OnnxModel.Options.defaults().withInputName("input_ids"))) {
            double[] va = meanPooled(m, Tensor.ofLongs(a, 1, a.length))[0];
            double[] vb = meanPooled(m, Tensor.ofLongs(b, 1, b.length))[0];
            double cos = cosine(va, vb);
            assertThat(cos).isBetween(0.2, 0.95);
            assertThat(ea.get("output_value").asDouble()).isCloseTo(cos, within(1e-5));
            // references: the pad-token baselines the methods used, [CLS] and [SEP] kept
            Tensor baseA = Npy.read(out.resolve("layer-integrated-gradients.A.baseline.npy"));
            Tensor baseB = Npy.read(out.resolve("layer-integrated-gradients.B.baseline.npy"));
            assertThat(baseA.getLong(0)).isEqualTo(101);
            assertThat(baseA.getLong(1)).isEqualTo(0);
            double fa0 = cosine(meanPooled(m, baseA)[0], vb);
            double fb0 = cosine(meanPooled(m, baseB)[0], va);
            for (String method : new String[] {"layer-integrated-gradients", "deeplift"}) {
                JsonNode ta = ea.get("methods").get(method).get("tokens");
                JsonNode tb = eb.get("methods").get(method).get("tokens");
                assertThat(ta.size()).isEqualTo(a.length);
                // token values sum to f(x) - f(reference), on each side (both explain the same cosine)
                assertThat(sum(ta)).as(method + " A").isCloseTo(cos - fa0, within(0.01 * Math.abs(cos - fa0) + 1e-4));
                assertThat(sum(tb)).as(method + " B").isCloseTo(cos - fb0, within(0.01 * Math.abs(cos - fb0) + 1e-4));
                // a word's value is the sum of its tokens
                assertThat(sum(ea.get("methods").get(method).get("words"))).isCloseTo(sum(ta), within(1e-9));
            }
            // KernelSHAP over words: efficiency against every word [MASK]ed (103), computed here
            Tensor masked = Npy.read(out.resolve("kernel-shap.A.baseline.npy"));
            assertThat(masked.getLong(2)).isEqualTo(103);
            double fMasked = cosine(meanPooled(m, masked)[0], vb);
            // the tokens (special tokens included: they form one kept group, a null player to which the sampled
            // regression still gives a little) sum to f(x) - f(masked); the words carry nearly all of it
            JsonNode shapTokens = ea.get("methods").get("kernel-shap").get("tokens");
            assertThat(sum(shapTokens)).isCloseTo(cos - fMasked, within(1e-5));
            assertThat(sum(ea.get("methods").get("kernel-shap").get("words")))
                    .isCloseTo(cos - fMasked, within(0.01 * Math.abs(cos - fMasked)));
        }
        // "guitar" matters more to the similarity with "music ... concert" than "a" does
        JsonNode words = ea.get("words");
        double[] ig = TextBagOfWordsTest.doubles(ea.get("methods").get("layer-integrated-gradients").get("words"));
        int guitar = -1;
        int article = -1;
        for (int i = 0; i < words.size(); i++) {
            guitar = words.get(i).get("text").asText().equals("guitar") ? i : guitar;
            article = words.get(i).get("text").asText().equals("a") ? i : article;
        }
        assertThat(ig[guitar]).isGreaterThan(Math.abs(ig[article]));
    }

    @Test
    void report_hasEveryMethodTheRolloutAndTheHighlightedText() throws IOException {
        String html = Files.readString(out.resolve("report.html"));
        assertThat(html).contains("layer-integrated-gradients", "deeplift", "lrp", "kernel-shap", "attention rollout",
                "cosine similarity");
        for (String f : new String[] {"overview.png", "attention-rollout.png", "lrp.png", "lrp.html", "kernel-shap.A.json"}) {
            assertThat(out.resolve(f)).isRegularFile();
        }
        JsonNode ea = result.get("examples").get(0);
        JsonNode first = ea.get("attention_rollout_first_token");
        assertThat(first.size()).isEqualTo(ea.get("tokens").size());
        assertThat(sum(first)).isCloseTo(1.0, within(1e-5));
        // offsets lead back to the text
        JsonNode guitar = ea.get("tokens").get(6);
        assertThat(guitar.get("token").asText()).isEqualTo("guitar");
        assertThat(A.substring(guitar.get("start_utf16").asInt(), guitar.get("end_utf16").asInt())).isEqualTo("guitar");
    }

    @Test
    void anEmbeddingModelWithoutSimilarTo_isAOneLineUsageError() {
        CliRunner.Run r = CliRunner.run("explain", "--model", model.toString(), "--tokenizer", tokenizer.toString(),
                "--text", A, "--out", dir.resolve("x").toString(), "--quiet");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err().strip()).contains("--similar-to").doesNotContain("\n");
    }
}
