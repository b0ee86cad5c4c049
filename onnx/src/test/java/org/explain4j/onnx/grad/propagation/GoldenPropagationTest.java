package org.explain4j.onnx.grad.propagation;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.explain4j.core.Tensor;
import org.explain4j.core.grad.Composite;
import org.explain4j.core.grad.Composites;
import org.explain4j.core.grad.PropagationRules;
import org.explain4j.core.grad.RuleSet;
import org.explain4j.core.io.Npy;
import org.explain4j.onnx.grad.OnnxDifferentiableModel;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The golden propagation cases of ../shared/golden (Captum for DeepLIFT, guided backprop,
 * deconvolution and LRP-epsilon; Zennit 0.5.1 for the other LRP composites), computed through
 * {@link OnnxDifferentiableModel} with {@link PropagationRegistry#standard()} the way the core
 * methods will.
 */
class GoldenPropagationTest {
    private static final Set<String> METHODS = Set.of("deeplift", "deeplift-shap", "guided-backprop", "deconvolution",
            "lrp");

    /** The cases of manifest.json and manifest-next.json (what the CLI is gaining: excitation-backprop, beta). */
    static Stream<Arguments> cases() throws IOException {
        List<Arguments> out = new ArrayList<>();
        for (String file : List.of("manifest.json", "manifest-next.json")) {
            JsonNode manifest = new ObjectMapper().readTree(Fixtures.golden(file).toFile());
            for (JsonNode c : manifest.get("cases")) {
                if (METHODS.contains(c.get("method").asText())) {
                    out.add(Arguments.of(c.get("id").asText(), c));
                }
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void goldenCase_matchesReferenceWithinTolerance(String id, JsonNode c) {
        Tensor x = Npy.read(Fixtures.golden(c.get("input").asText()));
        JsonNode p = c.get("params");
        int[] targets = targets(p.get("target"), x.dim(0));
        double[] expected = Npy.read(Fixtures.golden(c.get("expected").asText())).toDoubleArray();
        double tolerance = c.get("tolerance").get("max_abs_err_over_max_abs").asDouble();
        OnnxDifferentiableModel m = Fixtures.load(Fixtures.golden(c.get("model").asText()));
        try {
            double[] actual = attribute(m, c.get("method").asText(), p, x, targets);
            double err = Fixtures.relativeError(actual, expected);
            System.out.printf("golden %s: max|err|/max|expected| = %.3g (tolerance %.3g)%n", id, err, tolerance);
            assertThat(err).as("%s: max|actual - expected| / max|expected|", id).isLessThanOrEqualTo(tolerance);
        } finally {
            Fixtures.close(m);
        }
    }

    private static double[] attribute(OnnxDifferentiableModel m, String method, JsonNode p, Tensor x, int[] targets) {
        int classes = m.forward(x.slice(0, 1)).dim(1);
        int[] seedShape = {x.dim(0), classes};
        return switch (method) {
            case "guided-backprop" -> Fixtures.backward(m, x, Fixtures.oneHot(targets, classes, null), seedShape,
                    PropagationRules.guidedBackprop());
            case "deconvolution" -> Fixtures.backward(m, x, Fixtures.oneHot(targets, classes, null), seedShape,
                    PropagationRules.deconvolution());
            case "deeplift" -> Fixtures.deepLift(m, x, baseline(p, x), targets, PropagationRules.deepLift());
            case "deeplift-shap" -> deepLiftShap(m, x, p, targets);
            case "lrp" -> lrp(m, p, x, targets, classes);
            default -> throw new IllegalArgumentException(method);
        };
    }

    /** LRP under the case's composite and parameters, seeded as the core method seeds it. */
    private static double[] lrp(OnnxDifferentiableModel m, JsonNode p, Tensor x, int[] targets, int classes) {
        Composite composite = Composites.byName(p.get("composite").asText());
        Map<Composite.Parameter, Double> given = new EnumMap<>(Composite.Parameter.class);
        for (Composite.Parameter q : Composite.Parameter.values()) {
            if (p.has(q.option())) {
                given.put(q, p.get(q.option()).asDouble());
            }
        }
        RuleSet rules = composite.rules(given);
        return composite.seed() == Composite.Seed.OUTPUT ? Fixtures.lrp(m, x, targets, rules)
                : Fixtures.backward(m, x, Fixtures.oneHot(targets, classes, null), new int[] {x.dim(0), classes}, rules);
    }

    /** The mean over the K baseline rows of DeepLIFT with each row. */
    private static double[] deepLiftShap(OnnxDifferentiableModel m, Tensor x, JsonNode p, int[] targets) {
        Tensor background = Npy.read(Fixtures.golden(p.get("baseline").asText()));
        int k = background.dim(0);
        double[] mean = new double[x.size()];
        for (int r = 0; r < k; r++) {
            double[] a = Fixtures.deepLift(m, x, Fixtures.repeat(background.slice(r, r + 1), x.dim(0)), targets,
                    PropagationRules.deepLift());
            for (int i = 0; i < mean.length; i++) {
                mean[i] += a[i] / k;
            }
        }
        return mean;
    }

    private static Tensor baseline(JsonNode p, Tensor x) {
        String b = p.get("baseline").asText();
        if (b.equals("zeros")) {
            return Fixtures.zerosLike(x);
        }
        Tensor t = Npy.read(Fixtures.golden(b));
        return t.dim(0) == 1 ? Fixtures.repeat(t, x.dim(0)) : t;
    }

    private static int[] targets(JsonNode t, int n) {
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = t.isArray() ? t.get(t.size() == 1 ? 0 : i).asInt() : t.asInt();
        }
        return out;
    }

}
