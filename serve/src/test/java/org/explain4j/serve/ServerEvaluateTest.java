package org.explain4j.serve;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.explain4j.cli.ModelLoader;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.catalog.MethodCatalog;
import org.explain4j.core.catalog.MethodSpec;
import org.explain4j.core.engine.ProgressListener;
import org.explain4j.core.metrics.Explainer;
import org.explain4j.core.metrics.MetricCatalog;
import org.explain4j.core.metrics.MetricInput;
import org.explain4j.core.metrics.MetricSpec;
import org.explain4j.core.metrics.Scores;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code :evaluate} over real HTTP: its scores equal the metric API's on the same inputs, attributions and seed. */
class ServerEvaluateTest {
    @TempDir
    static Path tmp;
    static TestServer s;
    static Path model;
    static JsonNode explained;
    static final int[] EXAMPLES = {0, 3, 5};

    @BeforeAll
    static void start() throws IOException {
        s = TestServer.over(tmp);
        model = s.models.resolve("digits_cnn.onnx");
        ObjectNode b = ServerApiTest.explainBody("integrated-gradients", Map.of("steps", 16), Digits.instance(EXAMPLES[0]),
                Digits.instance(EXAMPLES[1]), Digits.instance(EXAMPLES[2]));
        TestServer.Reply r = s.post("/v1/models/digits_cnn:explain", b);
        assertThat(r.status()).as(r.text()).isEqualTo(200);
        explained = r.json();
    }

    @AfterAll
    static void stop() {
        s.close();
    }

    /** An :evaluate body over the explained instances, with their own attributions and targets. */
    static ObjectNode body(String metric, Map<String, Object> params) {
        ObjectNode b = TestServer.JSON.createObjectNode();
        ArrayNode in = b.putArray("instances");
        for (int k : EXAMPLES) {
            in.add(Digits.instance(k));
        }
        ArrayNode a = b.putArray("attributions");
        ArrayNode t = TestServer.JSON.createArrayNode();
        for (JsonNode e : explained.get("explanations")) {
            ObjectNode one = a.addObject();
            one.set("shape", e.get("data").get("shape"));
            one.set("attributions", e.get("data").get("attributions"));
            t.add(e.get("data").get("target").asInt());
        }
        ObjectNode p = b.putObject("parameters");
        p.put("metric", metric);
        p.set("target", t);
        params.forEach((k, v) -> p.set(k, TestServer.JSON.valueToTree(v)));
        return b;
    }

    static Tensor batch() {
        Tensor x = Digits.x();
        return Tensor.concat(List.of(x.slice(EXAMPLES[0], EXAMPLES[0] + 1), x.slice(EXAMPLES[1], EXAMPLES[1] + 1),
                x.slice(EXAMPLES[2], EXAMPLES[2] + 1)));
    }

    static Tensor attributions() {
        double[] flat = new double[EXAMPLES.length * 64];
        int i = 0;
        for (JsonNode e : explained.get("explanations")) {
            for (JsonNode v : e.get("data").get("attributions")) {
                flat[i++] = v.asDouble();
            }
        }
        return Tensor.ofDoubles(flat, EXAMPLES.length, 1, 8, 8);
    }

    static int[] targets() {
        int[] t = new int[EXAMPLES.length];
        for (int i = 0; i < t.length; i++) {
            t[i] = explained.get("explanations").get(i).get("data").get("target").asInt();
        }
        return t;
    }

    /** The library's scores, bound as explain4j evaluate binds them. */
    static double[] reference(String metric, Map<String, Object> texts, Long seed, Optional<Explainer> explainer) {
        MetricSpec ms = MetricCatalog.get(metric);
        Map<String, Object> typed = new LinkedHashMap<>();
        texts.forEach((k, v) -> typed.put(k, ms.param(k).orElseThrow().parse(String.valueOf(v))));
        if (seed != null && ms.param("seed").isPresent()) {
            typed.put("seed", seed);
        }
        try (ModelLoader.Loaded m = ModelLoader.load(model, 0, null, null)) {
            Scores sc = ms.factory().create(ms.bind(typed)).evaluate(new MetricInput(m, batch(), attributions(), targets(),
                    Optional.empty(), explainer, seed == null ? 0 : seed, 64, ProgressListener.NONE));
            return sc.values().toDoubleArray();
        }
    }

    static double[] scores(TestServer.Reply r) {
        assertThat(r.status()).as(r.text()).isEqualTo(200);
        JsonNode sc = r.json().get("scores");
        double[] out = new double[sc.size()];
        for (int i = 0; i < out.length; i++) {
            assertThat(sc.get(i).isNumber()).as(sc.toString()).isTrue();
            out[i] = sc.get(i).asDouble();
        }
        return out;
    }

    /** An undefined score (auc of an empty mask is NaN) is null, as in {@code explain4j evaluate --format json}. */
    @Test
    void anUndefinedScore_isNull_asInTheCommandLinesJson() {
        ObjectNode b = body("auc", Map.of());
        ArrayNode masks = b.putArray("masks");
        for (int k = 0; k < EXAMPLES.length; k++) {
            ArrayNode plane = masks.addArray().addArray();
            for (int r = 0; r < 8; r++) {
                ArrayNode row = plane.addArray();
                for (int c = 0; c < 8; c++) {
                    row.add(k == 1 && r < 4 ? 1 : 0); // the second instance has a mask, the others none
                }
            }
        }
        TestServer.Reply r = s.post("/v1/models/digits_cnn:evaluate", b);
        assertThat(r.status()).as(r.text()).isEqualTo(200);
        JsonNode scores = r.json().get("scores");
        assertThat(scores).hasSize(3);
        assertThat(scores.get(0).isNull()).as(r.text()).isTrue();
        assertThat(scores.get(2).isNull()).as(r.text()).isTrue();
        assertThat(scores.get(1).isNumber()).as(r.text()).isTrue();
        assertThat(r.text()).doesNotContain("NaN");
    }

    @Test
    void faithfulnessCorrelationWithASeedEqualsTheMetricApi() {
        Map<String, Object> p = Map.of("nr-runs", 20, "subset-size", 8, "return-aggregate", false);
        Map<String, Object> withSeed = new LinkedHashMap<>(p);
        withSeed.put("seed", 11);
        double[] got = scores(s.post("/v1/models/digits_cnn:evaluate", body("faithfulness-correlation", withSeed)));
        double[] want = reference("faithfulness-correlation", p, 11L, Optional.empty());
        assertThat(got).hasSize(EXAMPLES.length).containsExactly(want);
        // the seed is used: another seed draws other subsets and gives other scores
        withSeed.put("seed", 12);
        double[] other = scores(s.post("/v1/models/digits_cnn:evaluate", body("faithfulness-correlation", withSeed)));
        assertThat(other).containsExactly(reference("faithfulness-correlation", p, 12L, Optional.empty()));
        assertThat(other).isNotEqualTo(got);
    }

    @Test
    void pixelFlippingCurvesEqualTheMetricApi() {
        Map<String, Object> p = Map.of("features-in-step", 8);
        TestServer.Reply r = s.post("/v1/models/digits_cnn:evaluate", body("pixel-flipping", p));
        assertThat(r.status()).as(r.text()).isEqualTo(200);
        double[] want = reference("pixel-flipping", p, null, Optional.empty());
        JsonNode sc = r.json().get("scores");
        assertThat(sc).hasSize(EXAMPLES.length);
        int per = want.length / EXAMPLES.length;
        assertThat(per).isEqualTo(8);
        for (int i = 0; i < EXAMPLES.length; i++) {
            assertThat(sc.get(i)).hasSize(per);
            for (int k = 0; k < per; k++) {
                assertThat(sc.get(i).get(k).asDouble()).isEqualTo(want[i * per + k]);
            }
        }
        assertThat(r.json().get("shape").toString()).isEqualTo("[3,8]");
    }

    @Test
    void sparsenessEqualsTheMetricApiAndRanksAConcentratedMapHigher() {
        double[] got = scores(s.post("/v1/models/digits_cnn:evaluate", body("sparseness", Map.of())));
        assertThat(got).containsExactly(reference("sparseness", Map.of(), null, Optional.empty()));
        // an implementation-independent check: one hot pixel is sparser (Gini near 1) than a flat map (Gini 0)
        ObjectNode b = body("sparseness", Map.of());
        ArrayNode a = (ArrayNode) b.get("attributions");
        for (int i = 0; i < a.size(); i++) {
            ArrayNode v = ((ObjectNode) a.get(i)).putArray("attributions");
            for (int k = 0; k < 64; k++) {
                v.add(i == 0 ? (k == 10 ? 1.0 : 0.0) : 0.5);
            }
        }
        double[] g = scores(s.post("/v1/models/digits_cnn:evaluate", b));
        assertThat(g[0]).isGreaterThan(0.9);
        assertThat(g[1]).isLessThan(0.05);
    }

    @Test
    void reExplainingMetricTakesTheMethodAndEqualsTheMetricApi() {
        Map<String, Object> p = Map.of("nr-samples", 3);
        Map<String, Object> withMethod = new LinkedHashMap<>(p);
        withMethod.put("method", "saliency");
        withMethod.put("seed", 4);
        double[] got = scores(s.post("/v1/models/digits_cnn:evaluate", body("max-sensitivity", withMethod)));
        MethodSpec sal = MethodCatalog.get("saliency");
        Explainer e = (mdl, in, t) -> sal.create(mdl, sal.bind(Map.of()), ProgressListener.NONE).attribute(in,
                Target.of(t)).values();
        assertThat(got).containsExactly(reference("max-sensitivity", p, 4L, Optional.of(e)));

        TestServer.Reply missing = s.post("/v1/models/digits_cnn:evaluate", body("max-sensitivity", p));
        assertThat(missing.status()).isEqualTo(400);
        assertThat(missing.json().get("error").get("argument").asText()).isEqualTo("method");
        TestServer.Reply extra = s.post("/v1/models/digits_cnn:evaluate", body("sparseness", Map.of("method", "saliency")));
        assertThat(extra.status()).isEqualTo(400);
        assertThat(extra.json().get("error").get("message").asText()).contains("does not apply to sparseness");
    }

    @Test
    void badRequestsNameTheirArgument() {
        TestServer.Reply unknown = s.post("/v1/models/digits_cnn:evaluate", body("no-such-metric", Map.of()));
        assertThat(unknown.status()).isEqualTo(400);
        assertThat(unknown.code()).isEqualTo("usage");
        assertThat(unknown.json().get("error").get("argument").asText()).isEqualTo("metric");
        assertThat(unknown.json().get("error").get("message").asText()).contains("unknown metric 'no-such-metric'")
                .contains("pixel-flipping");
        ObjectNode shortA = body("sparseness", Map.of());
        ((ArrayNode) shortA.get("attributions")).remove(2);
        TestServer.Reply r = s.post("/v1/models/digits_cnn:evaluate", shortA);
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.code()).isEqualTo("shape");
        assertThat(r.json().get("error").get("message").asText()).isEqualTo("\"attributions\" has 2 entries for 3 "
                + "instances; give one per instance");
        TestServer.Reply param = s.post("/v1/models/digits_cnn:evaluate", body("pixel-flipping",
                Map.of("features-in-step", 0)));
        assertThat(param.status()).isEqualTo(400);
        assertThat(param.json().get("error").get("argument").asText()).contains("features-in-step");
    }

    @Test
    void theRouteIsInTheOpenApiDocumentWhereThePageLooksForIt() {
        JsonNode paths = s.get("/openapi.json").json().get("paths");
        assertThat(paths.has("/v1/models/{m}:evaluate")).isTrue();
        assertThat(paths.get("/v1/models/{m}:evaluate").has("post")).isTrue();
    }
}
