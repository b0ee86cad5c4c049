package org.explain4j.serve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Text instances over real HTTP: a card naming a tokenizer (fixtures/text: the bag-of-words model
 * whose exact Shapley values are known, and the bert_layer transformer motif with a vocabulary),
 * per-token and per-word values equal to {@code explain --tokenizer --text}'s text.json bit for bit,
 * the known values on the bag of words, and the card's tokenizer path kept inside the models folder.
 */
class ServerTextTest {
    @TempDir
    static Path tmp;
    static TestServer s;
    static Path text;
    static Path motifs;
    static final String SENTENCE = "the cat sat on the mat";

    @BeforeAll
    static void start() throws IOException {
        Path root = Path.of(System.getProperty("user.dir")).resolve("..").normalize();
        text = root.resolve("fixtures/text");
        motifs = root.resolve("fixtures/models");
        assertThat(text.resolve("bow.onnx")).as("the bag-of-words fixture").exists();
        Path models = TestServer.modelsFolder(tmp.resolve("models"));
        Files.copy(text.resolve("bow.onnx"), models.resolve("bow.onnx"));
        Files.copy(text.resolve("bow_tokenizer.json"), models.resolve("bow_tokenizer.json"));
        card(models, "bow", Map.of("kind", "text", "tokenizer", "bow_tokenizer.json", "labels", List.of("neg", "pos")));
        Files.copy(text.resolve("bow.onnx"), models.resolve("bowdel.onnx"));
        card(models, "bowdel", Map.of("tokenizer", "bow_tokenizer.json", "reference", "delete", "features", "tokens"));
        Path sub = Files.createDirectories(models.resolve("bert"));
        Files.copy(motifs.resolve("bert_layer.onnx"), sub.resolve("bert_layer.onnx"));
        Files.copy(text.resolve("bert_layer_tokenizer.json"), sub.resolve("tokenizer.json"));
        card(sub, "bert_layer", Map.of("kind", "text", "tokenizer", "bert/tokenizer.json", "max_length", 8));
        // cards whose tokenizer path leaves the folder: ../, absolute, a symbolic link out, a missing file
        Path outside = Files.copy(text.resolve("bow_tokenizer.json"), tmp.resolve("outside_tokenizer.json"));
        Files.createSymbolicLink(models.resolve("link_tokenizer.json"), outside);
        for (String[] c : new String[][] {{"esc_dots", "../outside_tokenizer.json"}, {"esc_sub", "bert/../../outside_tokenizer.json"},
                {"esc_abs", outside.toString()}, {"esc_link", "link_tokenizer.json"}, {"esc_missing", "nothing.json"}}) {
            Files.copy(text.resolve("bow.onnx"), models.resolve(c[0] + ".onnx"));
            card(models, c[0], Map.of("tokenizer", c[1]));
        }
        // cards with a text field out of range
        for (Object[] c : new Object[][] {{"bad_features", "features", "sentences"}, {"bad_length", "max_length", 1},
                {"bad_reference", "reference", "blank"}}) {
            Files.copy(text.resolve("bow.onnx"), models.resolve(c[0] + ".onnx"));
            card(models, (String) c[0], Map.of("tokenizer", "bow_tokenizer.json", (String) c[1], c[2]));
        }
        s = new TestServer(ServeConfig.defaults(models));
    }

    static void card(Path dir, String name, Map<String, Object> card) throws IOException {
        Files.writeString(dir.resolve(name + ".json"), TestServer.JSON.writeValueAsString(card));
    }

    @AfterAll
    static void stop() {
        s.close();
    }

    static ObjectNode body(String method, Map<String, Object> params, String... texts) {
        ObjectNode b = TestServer.JSON.createObjectNode();
        var in = b.putArray("instances");
        for (String t : texts) {
            in.addObject().put("text", t);
        }
        ObjectNode p = b.putObject("parameters");
        p.put("method", method);
        params.forEach((k, v) -> p.set(k, TestServer.JSON.valueToTree(v)));
        return b;
    }

    static JsonNode cases() throws IOException {
        return TestServer.JSON.readTree(text.resolve("bow_cases.json").toFile()).get("cases");
    }

    static double[] values(JsonNode list) {
        double[] v = new double[list.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = list.get(i).get("value").asDouble();
        }
        return v;
    }

    static double[] doubles(JsonNode a) {
        double[] v = new double[a.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = a.get(i).asDouble();
        }
        return v;
    }

    @Test
    void theListingSaysWhichModelsTakeText() {
        JsonNode models = s.get("/v1/models").json().get("models");
        Map<String, JsonNode> byName = new java.util.HashMap<>();
        models.forEach(m -> byName.put(m.get("name").asText(), m));
        assertThat(byName.get("bow").get("kind").asText()).isEqualTo("text");
        assertThat(byName.get("bow").get("text").get("tokenizer").asText()).isEqualTo("bow_tokenizer.json");
        assertThat(byName.get("bow").get("text").get("reference").asText()).isEqualTo("mask");
        assertThat(byName.get("bowdel").get("kind").asText()).isEqualTo("text");
        assertThat(byName.get("bowdel").get("text").get("features").asText()).isEqualTo("tokens");
        assertThat(byName.get("bert_layer").get("text").get("max_length").asInt()).isEqualTo(8);
        assertThat(byName.get("bert_layer").get("inputs").size()).isEqualTo(3);
        assertThat(byName.get("digits_cnn").get("kind").asText()).isEqualTo("image");
        assertThat(byName.get("digits_cnn").get("text").isNull()).isTrue();
    }

    @Test
    void tokenizerPathsOutsideTheModelsFolderAreRefused() {
        Map<String, String> expected = Map.of("esc_dots", "\"tokenizer\" '../outside_tokenizer.json' must stay inside "
                + "the models folder (no '..')", "esc_sub", "no '..'", "esc_abs", "\"tokenizer\" '/", "esc_link",
                "\"tokenizer\" 'link_tokenizer.json' leads outside the models folder", "esc_missing",
                "\"tokenizer\" 'nothing.json' is not a file in the models folder", "bad_features",
                "\"features\" \"sentences\" must be one of words, tokens", "bad_length",
                "\"max_length\" must be an integer of at least 2", "bad_reference",
                "\"reference\" \"blank\" must be one of mask, pad, delete");
        JsonNode models = s.get("/v1/models").json().get("models");
        int seen = 0;
        for (JsonNode m : models) {
            String name = m.get("name").asText();
            if (expected.containsKey(name)) {
                seen++;
                assertThat(m.get("ready").asBoolean()).as(name).isFalse();
                assertThat(m.get("error").asText()).as(name).contains("the card " + name + ".json: ", expected.get(name));
                TestServer.Reply r = s.post("/v1/models/" + name + ":predict", body("saliency", Map.of(), "hello"));
                assertThat(r.status()).isEqualTo(400);
                assertThat(r.code()).isEqualTo("file");
                assertThat(r.json().get("error").get("argument").asText()).isEqualTo("card");
                // the message quotes the card's own value (the card is public in GET /v1/models), never the folder's path
                assertThat(r.json().get("error").get("message").asText()).doesNotContain(s.models.toString());
            }
        }
        assertThat(seen).isEqualTo(expected.size());
    }

    @Test
    void predictTokenisesTheTextAndFeedsTheMask() throws IOException {
        JsonNode cases = cases();
        List<String> texts = new ArrayList<>();
        cases.forEach(c -> texts.add(c.get("text").asText()));
        TestServer.Reply r = s.post("/v1/models/bow:predict", body("saliency", Map.of(), texts.toArray(String[]::new)));
        assertThat(r.status()).as(r.text()).isEqualTo(200);
        for (int n = 0; n < cases.size(); n++) {
            assertThat(doubles(r.json().get("predictions").get(n).get("output")))
                    .containsExactly(doubles(cases.get(n).get("logits")), within(1e-6));
        }
    }

    @Test
    void aGivenFeatureMaskSplitsItsGroupsOverTheirTokens() {
        // [CLS] good movie [SEP]: one group for both words; each token gets half of the group's value
        TestServer.Reply r = s.post("/v1/models/bow:explain", body("feature-ablation",
                Map.of("feature-mask", List.of(2, 0, 0, 1), "target", 1), "good movie"));
        assertThat(r.status()).as(r.text()).isEqualTo(200);
        JsonNode data = r.json().get("explanations").get(0).get("data");
        double group = data.get("attributions").get(1).asDouble();
        assertThat(data.get("attributions").get(2).asDouble()).isEqualTo(group);
        assertThat(Math.abs(group)).isGreaterThan(0.1);
        double[] tokens = values(data.get("tokens"));
        assertThat(tokens).containsExactly(0, group / 2, group / 2, 0);
        assertThat(data.get("features").asText()).isEqualTo("given");
        assertThat(data.get("reference").asText()).isEqualTo("mask");
    }

    @Test
    void spansCountCodePointsAndUtf16UnitsApart() {
        String t = "good \uD83D\uDE00 movie"; // an emoji outside the BMP: one code point, two UTF-16 units
        TestServer.Reply r = s.post("/v1/models/bow:explain", body("feature-ablation", Map.of(), t));
        assertThat(r.status()).as(r.text()).isEqualTo(200);
        JsonNode tokens = r.json().get("explanations").get(0).get("data").get("tokens");
        JsonNode last = tokens.get(tokens.size() - 2); // "movie", before [SEP]
        assertThat(t.substring(last.get("start_utf16").asInt(), last.get("end_utf16").asInt())).isEqualTo("movie");
        assertThat(last.get("start").asInt()).isEqualTo(last.get("start_utf16").asInt() - 1);
        assertThat(t.codePointCount(0, last.get("start_utf16").asInt())).isEqualTo(last.get("start").asInt());
    }

    @Test
    void wordShapleyValuesOnTheBagOfWordsEqualTheKnownWeights() throws IOException {
        JsonNode cases = cases();
        for (int n = 0; n < cases.size(); n++) {
            JsonNode c = cases.get(n);
            int target = c.get("target").asInt();
            for (String method : List.of("kernel-shap", "feature-ablation")) {
                TestServer.Reply r = s.post("/v1/models/bow:explain", body(method, Map.of("target", target),
                        c.get("text").asText()));
                assertThat(r.status()).as(r.text()).isEqualTo(200);
                JsonNode data = r.json().get("explanations").get(0).get("data");
                double[] words = values(data.get("words"));
                assertThat(words).as(method + " on " + c.get("text")).containsExactly(
                        doubles(c.get("expected_words").get("mask")), within(1e-5));
                assertThat(data.get("reference").asText()).isEqualTo("mask");
                // the word spans cover the words' text; a word's tokens sum to its value
                String t = c.get("text").asText();
                JsonNode tokens = data.get("tokens");
                assertThat(tokens.get(0).get("special").asBoolean()).isTrue();
                assertThat(tokens.get(0).get("start").asInt()).isEqualTo(-1);
                for (JsonNode w : data.get("words")) {
                    assertThat(t.substring(w.get("start_utf16").asInt(), w.get("end_utf16").asInt()))
                            .isEqualTo(w.get("text").asText());
                    double sum = 0;
                    for (int k = 0; k < w.get("token_count").asInt(); k++) {
                        JsonNode tk = tokens.get(w.get("first_token").asInt() + k);
                        sum += tk.get("value").asDouble();
                        assertThat(tk.get("start_utf16").asInt()).isGreaterThanOrEqualTo(w.get("start_utf16").asInt());
                        assertThat(tk.get("end_utf16").asInt()).isLessThanOrEqualTo(w.get("end_utf16").asInt());
                    }
                    assertThat(sum).isCloseTo(w.get("value").asDouble(), within(1e-9));
                }
            }
        }
    }

    @Test
    void theCardsDeletionReferenceOverTokensGivesEachTokenItsOwnWeight() throws IOException {
        JsonNode c = cases().get(1);
        TestServer.Reply r = s.post("/v1/models/bowdel:explain", body("kernel-shap",
                Map.of("target", c.get("target").asInt()), c.get("text").asText()));
        assertThat(r.status()).as(r.text()).isEqualTo(200);
        JsonNode data = r.json().get("explanations").get(0).get("data");
        double[] tokens = values(data.get("tokens"));
        assertThat(tokens[0]).isCloseTo(0, within(1e-6));
        assertThat(tokens[tokens.length - 1]).isCloseTo(0, within(1e-6));
        assertThat(java.util.Arrays.copyOfRange(tokens, 1, tokens.length - 1))
                .containsExactly(doubles(c.get("expected_tokens").get("delete")), within(1e-5));
        assertThat(values(data.get("words"))).containsExactly(doubles(c.get("expected_words").get("delete")), within(1e-5));
        assertThat(data.get("reference").asText()).isEqualTo("delete");
    }

    /** {@code explain --tokenizer --text} in this process: its text.json. */
    static JsonNode cli(Path model, Path tokenizer, String sentence, String methods, String... more) throws IOException {
        Path out = Files.createTempDirectory(tmp, "cli");
        List<String> args = new ArrayList<>(List.of("explain", "--model", model.toString(), "--tokenizer",
                tokenizer.toString(), "--text", sentence, "--methods", methods, "--out", out.toString(), "--quiet"));
        args.addAll(List.of(more));
        picocli.CommandLine cmd = org.explain4j.cli.Main.commandLine();
        java.io.StringWriter err = new java.io.StringWriter();
        cmd.setErr(new java.io.PrintWriter(err));
        int code = cmd.execute(args.toArray(String[]::new));
        assertThat(code).as(err.toString()).isZero();
        return TestServer.JSON.readTree(out.resolve("text.json").toFile()).get("examples").get(0);
    }

    @Test
    void perTokenValuesEqualTheCommandLinesTextJsonBitForBit() throws IOException {
        List<String> methods = List.of("layer-integrated-gradients", "deeplift", "kernel-shap", "lime", "feature-ablation");
        JsonNode e = cli(motifs.resolve("bert_layer.onnx"), text.resolve("bert_layer_tokenizer.json"), SENTENCE,
                String.join(",", methods), "--max-length", "8");
        int checked = 0;
        for (String m : methods) {
            JsonNode ref = e.get("methods").get(m);
            assertThat(ref).as(m + " in text.json").isNotNull();
            // the seeded methods run with the command line's seed 7 when none is given, and with it when it is
            Map<String, Object> params = m.equals("kernel-shap") ? Map.of("seed", 7) : Map.of();
            TestServer.Reply r = s.post("/v1/models/bert_layer:explain", body(m, params, SENTENCE));
            assertThat(r.status()).as(r.text()).isEqualTo(200);
            JsonNode data = r.json().get("explanations").get(0).get("data");
            assertThat(values(data.get("tokens"))).as(m).containsExactly(doubles(ref.get("tokens")));
            assertThat(values(data.get("words"))).as(m).containsExactly(doubles(ref.get("words")));
            assertThat(data.get("tokens").size()).isEqualTo(e.get("tokens").size());
            for (int j = 0; j < data.get("tokens").size(); j++) {
                for (String f : List.of("token", "start", "end", "start_utf16", "end_utf16")) {
                    assertThat(data.get("tokens").get(j).get(f)).as(m + " token " + j + " " + f)
                            .isEqualTo(e.get("tokens").get(j).get(f));
                }
            }
            checked++;
        }
        assertThat(checked).isEqualTo(methods.size());
        // a different seed changes a seeded method's values: the comparison above is not vacuous
        TestServer.Reply other = s.post("/v1/models/bert_layer:explain", body("lime", Map.of("seed", 8), SENTENCE));
        assertThat(values(other.json().get("explanations").get(0).get("data").get("tokens")))
                .isNotEqualTo(doubles(e.get("methods").get("lime").get("tokens")));
    }

    @Test
    void aJobOnTheBagOfWordsWithDeletionEqualsTheCommandLine() throws Exception {
        String sentence = "Not good, but the acting was great.";
        JsonNode e = cli(text.resolve("bow.onnx"), text.resolve("bow_tokenizer.json"), sentence, "kernel-shap",
                "--token-baseline", "delete", "--features", "tokens");
        ObjectNode b = body("kernel-shap", Map.of(), sentence);
        b.put("model", "bowdel");
        TestServer.Reply posted = s.post("/v1/jobs", b);
        assertThat(posted.status()).as(posted.text()).isEqualTo(202);
        String id = posted.json().get("id").asText();
        JsonNode job = null;
        for (int i = 0; i < 600; i++) {
            job = s.get("/v1/jobs/" + id).json();
            if (!job.get("state").asText().equals("queued") && !job.get("state").asText().equals("running")) {
                break;
            }
            Thread.sleep(50);
        }
        assertThat(job.get("state").asText()).as(job.toString()).isEqualTo("done");
        JsonNode data = job.get("result").get("explanations").get(0).get("data");
        assertThat(values(data.get("tokens"))).containsExactly(doubles(e.get("methods").get("kernel-shap").get("tokens")));
        assertThat(values(data.get("words"))).containsExactly(doubles(e.get("methods").get("kernel-shap").get("words")));
        assertThat(data.get("text").asText()).isEqualTo(sentence);
    }

    @Test
    void textErrorsNameTheInstanceAndTheFix() {
        TestServer.Reply r = s.post("/v1/models/digits_cnn:explain", body("saliency", Map.of(), "a digit?"));
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.json().get("error").get("argument").asText()).isEqualTo("instances[0]");
        assertThat(r.json().get("error").get("message").asText()).contains("instances[0]", "\"tokenizer\"",
                "digits_cnn.json");
        ObjectNode mixed = body("saliency", Map.of());
        mixed.withArray("instances").addObject().put("text", "fine");
        mixed.withArray("instances").addObject().put("text", "   ");
        r = s.post("/v1/models/bow:predict", mixed);
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.json().get("error").get("argument").asText()).isEqualTo("instances[1]");
        r = s.post("/v1/models/bow:explain", body("saliency", Map.of(), "good"));
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.json().get("error").get("argument").asText()).isEqualTo("method");
        assertThat(r.json().get("error").get("message").asText()).contains("does not apply to text", "kernel-shap");
        // a job is refused at submission, not accepted and then failed
        ObjectNode job = body("saliency", Map.of(), "good");
        job.put("model", "bow");
        r = s.post("/v1/jobs", job);
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.json().get("error").get("argument").asText()).isEqualTo("method");
        // metrics take one-input instances; a text instance feeds the attention mask
        ObjectNode evaluate = body("saliency", Map.of(), "good");
        ((ObjectNode) evaluate.get("parameters")).remove("method");
        ((ObjectNode) evaluate.get("parameters")).put("metric", "sparseness");
        evaluate.putArray("attributions").addObject().putArray("shape").add(3);
        ((ObjectNode) evaluate.get("attributions").get(0)).putArray("attributions").add(0.1).add(0.2).add(0.3);
        r = s.post("/v1/models/bow:evaluate", evaluate);
        assertThat(r.status()).as(r.text()).isEqualTo(422);
        assertThat(r.json().get("error").get("argument").asText()).isEqualTo("instances[0]");
        ObjectNode notString = body("kernel-shap", Map.of());
        notString.withArray("instances").addObject().put("text", 3);
        r = s.post("/v1/models/bow:explain", notString);
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.json().get("error").get("message").asText()).contains("instances[0].text must be a string");
    }
}
