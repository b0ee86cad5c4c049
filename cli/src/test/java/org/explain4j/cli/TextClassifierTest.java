package org.explain4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.explain4j.core.Tensor;
import org.explain4j.core.io.Npy;
import org.explain4j.onnx.OnnxModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Raw text into a transformer classifier with three inputs (the bert_layer motif and a tokenizer
 * over its 60 ids): two texts padded together, every default method, the predicted class of each,
 * per-token values that sum to the logit's difference from the [PAD] reference (checked with the
 * plain model here), and the attention rollout.
 */
class TextClassifierTest {
    static final Path MODEL = Path.of("..", "fixtures", "models", "bert_layer.onnx");
    static final Path TOKENIZER = Path.of("..", "fixtures", "text", "bert_layer_tokenizer.json");

    @TempDir
    Path tmp;

    @Test
    void twoPaddedTexts_everyDefaultMethod_completeWhereTheMethodShouldBe() throws IOException {
        Path out = tmp.resolve("out");
        CliRunner.Run r = CliRunner.run("explain", "--model", MODEL.toString(), "--tokenizer", TOKENIZER.toString(),
                "--text", "the cat sat on the mat", "--text", "big dogs ran", "--max-length", "8", "--out", out.toString(),
                "--quiet");
        assertThat(r.exitCode()).as(r.err() + r.out()).isZero();
        for (String m : TextExplainer.DEFAULT_METHODS) {
            assertThat(r.out()).as("every default method runs").contains(m).doesNotContain(m + " skipped");
            assertThat(out.resolve(m + ".png")).isRegularFile();
        }
        JsonNode ex = new ObjectMapper().readTree(out.resolve("text.json").toFile()).get("examples");
        assertThat(ex.size()).isEqualTo(2);
        JsonNode second = ex.get(1);
        assertThat(second.get("tokens").size()).isEqualTo(6); // [CLS] big dog ##s ran [SEP]
        assertThat(second.get("words").size()).isEqualTo(3);
        assertThat(second.get("words").get(1).get("text").asText()).isEqualTo("dogs");
        assertThat(second.get("words").get(1).get("token_count").asInt()).isEqualTo(2);
        Tensor ids = Tensor.ofLongs(ids(ex), 2, 8);
        Tensor base = Npy.read(out.resolve("layer-integrated-gradients.baseline.npy"));
        long[] mask = new long[16];
        for (int n = 0; n < 2; n++) {
            for (int j = 0; j < ex.get(n).get("tokens").size(); j++) {
                mask[n * 8 + j] = 1;
            }
        }
        Map<String, Tensor> fed = Map.of("attention_mask", Tensor.ofLongs(mask, 2, 8), "token_type_ids",
                Tensor.ofLongs(new long[16], 2, 8));
        try (OnnxModel m = OnnxModel.load(MODEL, OnnxModel.Options.defaults().withInputName("input_ids"))) {
            Tensor fx = m.forward(ids, fed);
            Tensor fb = m.forward(base, fed);
            for (int n = 0; n < 2; n++) {
                int target = argmax(fx, n);
                double logit = fx.getDouble(n * 3 + target);
                assertThat(ex.get(n).get("output_value").asDouble()).isCloseTo(logit, within(1e-5));
                double delta = logit - fb.getDouble(n * 3 + target);
                for (String method : new String[] {"layer-integrated-gradients", "deeplift"}) {
                    double sum = sum(ex.get(n).get("methods").get(method).get("tokens"));
                    assertThat(sum).as(method + " #" + n).isCloseTo(delta, within(0.01 * Math.abs(delta) + 1e-4));
                }
                JsonNode first = ex.get(n).get("attention_rollout_first_token");
                assertThat(first.size()).isEqualTo(ex.get(n).get("tokens").size());
                assertThat(sum(first)).isCloseTo(1.0, within(1e-5));
            }
        }
        String html = Files.readString(out.resolve("report.html"));
        assertThat(html).contains("attention rollout", "the predicted class of each text", "lime");
    }

    @Test
    void layerFlag_attributesAtThatTensor_stillComplete() throws IOException {
        Path out = tmp.resolve("layer");
        CliRunner.Run r = CliRunner.run("explain", "--model", MODEL.toString(), "--tokenizer", TOKENIZER.toString(),
                "--text", "the cat sat on the mat", "--max-length", "8", "--layer", "/emb_norm/LayerNormalization_output_0",
                "--methods", "layer-integrated-gradients", "--out", out.toString(), "--quiet");
        assertThat(r.exitCode()).as(r.err() + r.out()).isZero();
        Tensor raw = Npy.read(out.resolve("layer-integrated-gradients.npy"));
        assertThat(raw.shape()).containsExactly(1, 8, 24);
        JsonNode e = new ObjectMapper().readTree(out.resolve("text.json").toFile()).get("examples").get(0);
        // the same text at the word embedding (first test) and after the embedding LayerNorm: different values,
        // both complete against the same reference, so both sum to the same difference
        Path word = tmp.resolve("word");
        CliRunner.Run w = CliRunner.run("explain", "--model", MODEL.toString(), "--tokenizer", TOKENIZER.toString(),
                "--text", "the cat sat on the mat", "--max-length", "8", "--methods", "layer-integrated-gradients",
                "--out", word.toString(), "--quiet");
        assertThat(w.exitCode()).isZero();
        JsonNode ew = new ObjectMapper().readTree(word.resolve("text.json").toFile()).get("examples").get(0);
        double[] a = TextBagOfWordsTest.doubles(e.get("methods").get("layer-integrated-gradients").get("tokens"));
        double[] b = TextBagOfWordsTest.doubles(ew.get("methods").get("layer-integrated-gradients").get("tokens"));
        assertThat(sum(e.get("methods").get("layer-integrated-gradients").get("tokens")))
                .isCloseTo(sum(ew.get("methods").get("layer-integrated-gradients").get("tokens")), within(1e-3));
        assertThat(a).isNotEqualTo(b);
        assertThat(Files.readString(out.resolve("report.html"))).contains("--layer /emb_norm/LayerNormalization_output_0");
    }

    static long[] ids(JsonNode ex) {
        long[] v = new long[16];
        for (int n = 0; n < 2; n++) {
            JsonNode t = ex.get(n).get("tokens");
            for (int j = 0; j < t.size(); j++) {
                v[n * 8 + j] = t.get(j).get("id").asLong();
            }
        }
        return v;
    }

    static int argmax(Tensor logits, int n) {
        int best = 0;
        for (int c = 1; c < 3; c++) {
            best = logits.getDouble(n * 3 + c) > logits.getDouble(n * 3 + best) ? c : best;
        }
        return best;
    }

    static double sum(JsonNode a) {
        double s = 0;
        for (JsonNode v : a) {
            s += v.asDouble();
        }
        return s;
    }
}
