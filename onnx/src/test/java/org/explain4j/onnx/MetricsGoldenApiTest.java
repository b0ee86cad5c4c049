package org.explain4j.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.catalog.MethodCatalog;
import org.explain4j.core.catalog.ParamSpec;
import org.explain4j.core.engine.ProgressListener;
import org.explain4j.core.io.Npy;
import org.explain4j.core.metrics.Explainer;
import org.explain4j.core.metrics.MetricCatalog;
import org.explain4j.core.metrics.MetricInput;
import org.explain4j.core.metrics.MetricSpec;
import org.explain4j.onnx.grad.OnnxDifferentiableModel;
import org.explain4j.onnx.grad.propagation.PropagationRegistry;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The golden metric cases of the robustness, localisation, complexity, randomisation and
 * axiomatic metrics through the Java API (the CLI harness runs them through {@code evaluate}):
 * each case's scores within its tolerance, MPRT's randomised columns within the statistical band.
 */
class MetricsGoldenApiTest {
    static final Set<String> METRICS = Set.of("max-sensitivity", "avg-sensitivity", "local-lipschitz-estimate", "continuity",
            "relative-input-stability", "pointing-game", "attribution-localisation", "top-k-intersection",
            "relevance-rank-accuracy", "relevance-mass-accuracy", "auc", "focus", "sparseness", "complexity",
            "effective-complexity", "mprt", "random-logit", "completeness", "non-sensitivity", "input-invariance");
    static final Set<String> METHOD_KEYS = Set.of("method", "steps", "integration", "baseline");

    static Stream<Arguments> cases() throws Exception {
        Path folder = goldenFolder();
        JsonNode manifest = new ObjectMapper().readTree(folder.resolve("manifest.json").toFile());
        List<Arguments> out = new ArrayList<>();
        for (JsonNode c : manifest.get("cases")) {
            if (METRICS.contains(c.get("metric").asText())) {
                out.add(Arguments.of(c.get("id").asText(), c, folder));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void goldenCase_matchesReferenceWithinTolerance(String id, JsonNode c, Path folder) {
        MetricSpec spec = MetricCatalog.get(c.get("metric").asText());
        JsonNode params = c.get("params");
        Map<String, Object> metricParams = new LinkedHashMap<>();
        Map<String, Object> methodParams = new LinkedHashMap<>();
        String method = null;
        int[] targets = null;
        long seed = 0;
        for (Iterator<Map.Entry<String, JsonNode>> it = params.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String key = e.getKey().replace('_', '-');
            JsonNode v = e.getValue();
            String text = v.isArray() ? String.join(",", iterable(v)) : v.asText();
            switch (key) {
                case "target" -> targets = java.util.Arrays.stream(text.split(",")).mapToInt(Integer::parseInt).toArray();
                case "seed" -> seed = Long.parseLong(text);
                case "method" -> method = text;
                default -> {
                    if (METHOD_KEYS.contains(key)) {
                        if (!key.equals("baseline")) {
                            methodParams.put(key, MethodCatalog.get(method == null ? "integrated-gradients" : method)
                                    .param(key).orElseThrow().parse(text));
                        }
                    } else {
                        ParamSpec p = spec.param(key).orElseThrow(() -> new AssertionError(id + ": no parameter " + key));
                        if (key.equals("custom-batch")) {
                            text = folder.resolve(text).toString();
                        }
                        metricParams.put(key, p.parse(text));
                    }
                }
            }
        }
        Tensor values = evaluate(c, folder, spec, metricParams, methodParams, method, targets, seed);
        double[] actual = values.toDoubleArray();
        int[] shape = values.shape();
        Tensor expectedT = Npy.read(folder.resolve(c.get("expected").asText()));
        assertThat(shape).as(id + " shape").containsExactly(expectedT.shape());
        double[] expected = expectedT.toDoubleArray();
        JsonNode tol = c.get("tolerance");
        int cols = shape.length == 2 ? shape[1] : 1;
        JsonNode stat = tol.get("statistical");
        Set<Integer> statistical = new java.util.HashSet<>();
        if (stat != null) {
            double[] mean = Npy.read(folder.resolve(stat.get("mean").asText())).toDoubleArray();
            double[] std = Npy.read(folder.resolve(stat.get("std").asText())).toDoubleArray();
            double k = stat.get("k_sigma").asDouble();
            double slack = stat.get("abs_slack").asDouble();
            for (int i = 0; i < actual.length; i++) {
                boolean checked = stat.get("columns").isTextual() || contains(stat.get("columns"), i % cols);
                if (checked) {
                    statistical.add(i);
                    assertThat(Math.abs(actual[i] - mean[i])).as(id + " entry " + i + " = " + actual[i] + " vs reference mean "
                            + mean[i] + " +- " + k + " sd " + std[i]).isLessThanOrEqualTo(k * std[i] + slack);
                }
            }
        }
        if (!tol.has("max_abs_err_over_max_abs")) {
            return;
        }
        double rel = tol.get("max_abs_err_over_max_abs").asDouble();
        if (tol.has("any_of")) {
            double[] cand = Npy.read(folder.resolve(tol.get("any_of").asText())).toDoubleArray();
            int classes = cand.length / actual.length;
            for (int n = 0; n < actual.length; n++) {
                double max = 0;
                boolean hit = false;
                for (int k = 0; k < classes; k++) {
                    if (!Double.isNaN(cand[n * classes + k])) {
                        max = Math.max(max, Math.abs(cand[n * classes + k]));
                    }
                }
                for (int k = 0; k < classes; k++) {
                    hit |= Math.abs(cand[n * classes + k] - actual[n]) <= rel * max;
                }
                assertThat(hit).as(id + " example " + n + " = " + actual[n] + " matches one candidate").isTrue();
            }
            return;
        }
        double max = 0;
        for (int i = 0; i < expected.length; i++) {
            if (!Double.isNaN(expected[i]) && !statistical.contains(i)) {
                max = Math.max(max, Math.abs(expected[i]));
            }
        }
        double err = 0;
        for (int i = 0; i < expected.length; i++) {
            if (statistical.contains(i)) {
                continue;
            }
            assertThat(Double.isNaN(actual[i])).as(id + " NaN at " + i + " (expected " + expected[i] + ", got " + actual[i] + ")")
                    .isEqualTo(Double.isNaN(expected[i]));
            if (!Double.isNaN(expected[i])) {
                err = Math.max(err, Math.abs(actual[i] - expected[i]));
            }
        }
        System.out.printf("metrics golden %s: max|err|/max|expected| = %.3g (tolerance %s)%n", id, max == 0 ? err : err / max, rel);
        assertThat(max == 0 ? err : err / max).as(id + ": " + java.util.Arrays.toString(actual) + " vs "
                + java.util.Arrays.toString(expected)).isLessThanOrEqualTo(rel);
    }

    private static Tensor evaluate(JsonNode c, Path folder, MetricSpec spec, Map<String, Object> metricParams,
                                   Map<String, Object> methodParams, String method, int[] targets, long seed) {
        Path modelPath = folder.resolve(c.get("model").asText()).normalize();
        Tensor x = Npy.read(folder.resolve(c.get("input").asText()));
        Tensor a = Npy.read(folder.resolve(c.get("attribution").asText()));
        Optional<Tensor> mask = c.has("mask") ? Optional.of(Npy.read(folder.resolve(c.get("mask").asText()))) : Optional.empty();
        Explainer explainer = (model, input, t) -> MethodCatalog.create(method, model, methodParams, ProgressListener.NONE)
                .attribute(input, Target.of(t)).values();
        try (OnnxModel onnx = OnnxModel.load(modelPath);
             OnnxDifferentiableModel d = new OnnxDifferentiableModel(onnx, PropagationRegistry.standard())) {
            RandomisableOnnxModel model = new RandomisableOnnxModel(onnx, d);
            MetricInput in = new MetricInput(model, x, a, targets, mask, Optional.ofNullable(method == null ? null : explainer),
                    seed, 64, ProgressListener.NONE);
            return spec.factory().create(spec.bind(metricParams)).evaluate(in).values();
        }
    }

    /**
     * The golden README's optional stronger MPRT check: the mean of {@code runs} runs with other
     * seeds within {@code k_sigma * std / sqrt(runs) + abs_slack} of the reference mean, which
     * tests that the randomised weights have torch's distribution.
     */
    static Stream<Arguments> multiRunCases() throws Exception {
        return cases().filter(a -> ((JsonNode) a.get()[1]).path("tolerance").path("statistical").path("multi_run").isObject());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("multiRunCases")
    void mprtMultiRun_meanOverSeedsWithinTheReferenceBand(String id, JsonNode c, Path folder) {
        JsonNode multi = c.path("tolerance").path("statistical").path("multi_run");
        JsonNode stat = c.get("tolerance").get("statistical");
        MetricSpec spec = MetricCatalog.get(c.get("metric").asText());
        Map<String, Object> metricParams = new LinkedHashMap<>();
        Map<String, Object> methodParams = new LinkedHashMap<>();
        String method = c.get("params").get("method").asText();
        int[] targets = null;
        for (Iterator<Map.Entry<String, JsonNode>> it = c.get("params").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String key = e.getKey().replace('_', '-');
            String text = e.getValue().isArray() ? String.join(",", iterable(e.getValue())) : e.getValue().asText();
            if (key.equals("target")) {
                targets = java.util.Arrays.stream(text.split(",")).mapToInt(Integer::parseInt).toArray();
            } else if (key.equals("steps") || key.equals("integration")) {
                methodParams.put(key, MethodCatalog.get(method).param(key).orElseThrow().parse(text));
            } else if (!METHOD_KEYS.contains(key) && !key.equals("seed")) {
                metricParams.put(key, spec.param(key).orElseThrow().parse(text));
            }
        }
        int runs = multi.get("runs").asInt();
        double[] mean = Npy.read(folder.resolve(stat.get("mean").asText())).toDoubleArray();
        double[] std = Npy.read(folder.resolve(stat.get("std").asText())).toDoubleArray();
        double[] sum = new double[mean.length];
        for (int r = 0; r < runs; r++) {
            double[] v = evaluate(c, folder, spec, metricParams, methodParams, method, targets, 1000 + 17L * r).toDoubleArray();
            for (int i = 0; i < v.length; i++) {
                sum[i] += v[i] / runs;
            }
        }
        int cols = mean.length / targets.length;
        for (int i = 0; i < mean.length; i++) {
            if (stat.get("columns").isTextual() || contains(stat.get("columns"), i % cols)) {
                double band = multi.get("k_sigma").asDouble() * std[i] / Math.sqrt(runs) + multi.get("abs_slack").asDouble();
                assertThat(Math.abs(sum[i] - mean[i])).as(id + " entry " + i + ": mean of " + runs + " runs " + sum[i]
                        + " vs reference " + mean[i]).isLessThanOrEqualTo(band);
            }
        }
    }

    /** The golden metrics folder; skipped without it, a failure with -Dexplain4j.requireGolden=true. */
    static Path goldenFolder() {
        Path golden = Path.of(System.getProperty("explain4j.shared", "../../shared"), "golden", "metrics");
        boolean present = java.nio.file.Files.isRegularFile(golden.resolve("manifest.json"));
        String why = "expected the golden metric cases in " + golden.toAbsolutePath().normalize()
                + " (system property explain4j.shared), but it has no manifest.json";
        if (!present && Boolean.parseBoolean(System.getProperty("explain4j.requireGolden", "false").trim())) {
            org.junit.jupiter.api.Assertions.fail(why);
        }
        org.junit.jupiter.api.Assumptions.assumeTrue(present, why);
        return golden;
    }

    private static boolean contains(JsonNode arr, int v) {
        for (JsonNode n : arr) {
            if (n.asInt() == v) {
                return true;
            }
        }
        return false;
    }

    private static List<String> iterable(JsonNode arr) {
        List<String> out = new ArrayList<>();
        arr.forEach(n -> out.add(n.asText()));
        return out;
    }
}
