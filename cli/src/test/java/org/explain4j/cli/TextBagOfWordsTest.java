package org.explain4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.explain4j.cli.text.DeletionModel;
import org.explain4j.core.Attribution;
import org.explain4j.core.Baseline;
import org.explain4j.core.FeatureMask;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.method.KernelShap;
import org.explain4j.core.method.Lime;
import org.explain4j.core.model.FedInputs;
import org.explain4j.onnx.OnnxModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * KernelSHAP, LIME and feature ablation over words and tokens on a bag-of-words classifier whose
 * true attributions are known (fixtures/text/bow_*, made by fixtures/text/make_text_fixtures.py):
 * a word's Shapley value is the sum over its pieces of W[id] - W[replacement], so the [MASK] and
 * the deletion baselines give different, known answers.
 */
class TextBagOfWordsTest {
    static final Path DIR = Path.of("..", "fixtures", "text");

    @TempDir
    Path tmp;

    JsonNode cases() throws IOException {
        return new ObjectMapper().readTree(DIR.resolve("bow_cases.json").toFile()).get("cases");
    }

    JsonNode explain(String baseline, String features, String methods) throws IOException {
        Path texts = tmp.resolve("texts.txt");
        List<String> lines = new ArrayList<>();
        cases().forEach(c -> lines.add(c.get("text").asText()));
        Files.write(texts, lines);
        Path out = tmp.resolve(baseline + "-" + features);
        CliRunner.Run r = CliRunner.run("explain", "--model", DIR.resolve("bow.onnx").toString(), "--tokenizer",
                DIR.resolve("bow_tokenizer.json").toString(), "--text-file", texts.toString(), "--methods", methods,
                "--token-baseline", baseline, "--features", features, "--out", out.toString(), "--quiet");
        assertThat(r.exitCode()).as(r.err() + r.out()).isZero();
        assertThat(out.resolve("report.html")).isRegularFile();
        assertThat(out.resolve("kernel-shap.png")).isRegularFile();
        return new ObjectMapper().readTree(out.resolve("text.json").toFile());
    }

    @Test
    void wordLevelShapley_withTheMaskBaseline_equalsTheKnownValues() throws IOException {
        JsonNode result = explain("mask", "words",
                "kernel-shap,feature-ablation,shapley-value-sampling,layer-integrated-gradients,layer-gradient-x-activation");
        JsonNode cases = cases();
        assertThat(result.get("examples").size()).isEqualTo(cases.size());
        for (int n = 0; n < cases.size(); n++) {
            JsonNode e = result.get("examples").get(n);
            double[] expected = doubles(cases.get(n).get("expected_words").get("mask"));
            for (String m : List.of("kernel-shap", "feature-ablation", "shapley-value-sampling")) {
                double[] words = doubles(e.get("methods").get(m).get("words"));
                assertThat(words).as(m + " on '" + e.get("text").asText() + "'").containsExactly(expected, within(1e-5));
            }
            // at the embedding output (N, T, 2) the logit is a plain sum, so integrated gradients from the [PAD]
            // reference (W = 0) and gradient x activation both give each token its own weight, summed over the hidden axis
            double[] own = doubles(cases.get(n).get("expected_words").get("pad"));
            for (String m : List.of("layer-integrated-gradients", "layer-gradient-x-activation")) {
                assertThat(doubles(e.get("methods").get(m).get("words"))).as(m).containsExactly(own, within(1e-5));
            }
            // efficiency: the words sum to f(x) - f(every word masked)
            double sum = 0;
            for (double v : expected) {
                sum += v;
            }
            assertThat(sum(doubles(e.get("methods").get("kernel-shap").get("words")))).isCloseTo(sum, within(1e-5));
            assertThat(e.get("output_value").asDouble()).isCloseTo(
                    cases.get(n).get("logits").get(cases.get(n).get("target").asInt()).asDouble(), within(1e-5));
        }
    }

    @Test
    void deletionBaseline_removesTheWord_andGivesItsOwnWeight() throws IOException {
        JsonNode result = explain("delete", "tokens", "kernel-shap");
        JsonNode cases = cases();
        for (int n = 0; n < cases.size(); n++) {
            JsonNode e = result.get("examples").get(n);
            double[] expectedWords = doubles(cases.get(n).get("expected_words").get("delete"));
            double[] expectedTokens = doubles(cases.get(n).get("expected_tokens").get("delete"));
            assertThat(doubles(e.get("methods").get("kernel-shap").get("words"))).containsExactly(expectedWords, within(1e-5));
            double[] tokens = doubles(e.get("methods").get("kernel-shap").get("tokens"));
            // [CLS] and [SEP] are kept: they carry nothing
            assertThat(tokens[0]).isCloseTo(0, within(1e-6));
            assertThat(tokens[tokens.length - 1]).isCloseTo(0, within(1e-6));
            assertThat(java.util.Arrays.copyOfRange(tokens, 1, tokens.length - 1)).containsExactly(expectedTokens, within(1e-5));
            // the mask and delete answers differ, so a baseline mix-up would fail
            assertThat(expectedWords).isNotEqualTo(doubles(cases.get(n).get("expected_words").get("mask")));
        }
    }

    @Test
    void lime_overTokens_recoversTheWeights_andFitsExactly() throws IOException {
        JsonNode c = cases().get(1);
        long[] ids = new long[c.get("ids").size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = c.get("ids").get(i).asLong();
        }
        int t = ids.length;
        long[] mask = new long[t];
        long[] groups = new long[t];
        long[] base = ids.clone();
        java.util.Arrays.fill(mask, 1);
        for (int i = 0; i < t; i++) {
            boolean special = i == 0 || i == t - 1;
            groups[i] = special ? t : i - 1;
            if (!special) {
                base[i] = DeletionModel.DELETED;
            }
        }
        int target = c.get("target").asInt();
        try (OnnxModel m = OnnxModel.load(DIR.resolve("bow.onnx"), OnnxModel.Options.defaults().withInputName("input_ids"))) {
            DeletionModel deleting = new DeletionModel(m, "attention_mask", null, 0);
            FedInputs fed = FedInputs.of(Map.of("attention_mask", Tensor.ofLongs(mask, 1, t)));
            Lime lime = new Lime(deleting, new Lime.Options(Baseline.of(Tensor.ofLongs(base, 1, t)),
                    FeatureMask.of(Tensor.ofLongs(groups, 1, t)), 300, 11L, Lime.Options.defaults().kernelWidth(),
                    Lime.Surrogate.RIDGE, 0.0, Lime.Options.defaults().batchSize()), org.explain4j.core.engine.ProgressListener.NONE);
            Attribution a = lime.attribute(Tensor.ofLongs(ids, 1, t), fed, Target.of(target));
            double[] v = a.values().toDoubleArray();
            double[] expected = doubles(c.get("expected_tokens").get("delete"));
            assertThat(java.util.Arrays.copyOfRange(v, 1, t - 1)).containsExactly(expected, within(1e-4));
            assertThat(a.diagnostics().surrogateFit().orElseThrow()[0]).isCloseTo(1.0, within(1e-6));
            // the same seed gives bit-identical values
            Attribution again = lime.attribute(Tensor.ofLongs(ids, 1, t), fed, Target.of(target));
            assertThat(again.values().toDoubleArray()).containsExactly(v);
            // KernelSHAP over the same tokens with sampling (fewer coalitions than 2^M) is still exact: the game is additive
            KernelShap shap = new KernelShap(deleting, new KernelShap.Options(Baseline.of(Tensor.ofLongs(base, 1, t)),
                    FeatureMask.of(Tensor.ofLongs(groups, 1, t)), 120, 5L, KernelShap.Options.defaults().batchSize()),
                    org.explain4j.core.engine.ProgressListener.NONE);
            double[] s = shap.attribute(Tensor.ofLongs(ids, 1, t), fed, Target.of(target)).values().toDoubleArray();
            assertThat(java.util.Arrays.copyOfRange(s, 1, t - 1)).containsExactly(expected, within(1e-4));
        }
    }

    static double[] doubles(JsonNode a) {
        double[] v = new double[a.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = a.get(i).asDouble();
        }
        return v;
    }

    static double sum(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x;
        }
        return s;
    }
}
