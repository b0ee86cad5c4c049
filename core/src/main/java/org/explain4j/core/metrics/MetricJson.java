package org.explain4j.core.metrics;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;
import org.explain4j.core.Tensor;
import org.explain4j.core.Version;
import org.explain4j.core.catalog.ParamSpec;
import org.explain4j.core.model.ModelInfo;

/**
 * The metrics' JSON documents (format 1, docs/METRICS.md): the catalogue
 * ({@code explain4j metrics --format json}, laid out like the methods' catalogue) and one
 * evaluation's result ({@code explain4j evaluate --format json}).
 */
public final class MetricJson {
    /** The version of both documents' layout. */
    public static final int FORMAT = 1;
    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private MetricJson() {
    }

    /** The given metrics' catalogue entries. */
    public static String catalogue(List<MetricSpec> specs) {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("format", FORMAT);
        root.put("explain4j", Version.get());
        ArrayNode metrics = root.putArray("metrics");
        for (MetricSpec s : specs) {
            ObjectNode m = metrics.addObject();
            m.put("name", s.name());
            m.put("category", s.category().label());
            m.put("reference", s.reference());
            m.put("summary", s.summary());
            m.put("description", s.description());
            m.put("needs_mask", s.needsMask());
            m.put("re_explains", s.reExplains());
            m.put("deterministic", !s.random());
            m.put("output", s.output());
            if (s.higherIsBetter().isPresent()) {
                m.put("higher_is_better", s.higherIsBetter().get());
            } else {
                m.putNull("higher_is_better");
            }
            ArrayNode params = m.putArray("params");
            for (ParamSpec p : s.params()) {
                params.add(org.explain4j.core.catalog.CatalogJson.param(p));
            }
        }
        return write(root);
    }

    /** One evaluation: metric, parameters as run, seed, scores (shape and values), curves, model identity. */
    public static String result(Scores s, ModelInfo model, int[] targets) {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("format", FORMAT);
        root.put("explain4j", Version.get());
        root.put("metric", s.metric());
        ObjectNode params = root.putObject("parameters");
        new java.util.TreeMap<>(s.parameters()).forEach((k, v) -> putValue(params, k, v));
        if (s.seed().isPresent()) {
            root.put("seed", s.seed().get());
        } else {
            root.putNull("seed");
        }
        ArrayNode t = root.putArray("targets");
        for (int v : targets) {
            t.add(v);
        }
        root.set("scores", tensor(s.values()));
        s.curves().ifPresent(c -> root.set("curves", tensor(c)));
        ObjectNode m = root.putObject("model");
        m.put("name", model.name());
        m.put("sha256", model.sha256());
        root.put("model_evaluations", s.modelEvaluations());
        return write(root);
    }

    private static ObjectNode tensor(Tensor t) {
        ObjectNode o = MAPPER.createObjectNode();
        ArrayNode shape = o.putArray("shape");
        for (int d : t.shape()) {
            shape.add(d);
        }
        ArrayNode values = o.putArray("values");
        for (int i = 0; i < t.size(); i++) {
            score(values, t.getDouble(i));
        }
        return o;
    }

    /**
     * Adds one score to {@code values}: a number, or null for NaN and infinities (JSON has no
     * such numbers); the service's {@code :evaluate} writes its scores by the same rule.
     */
    public static void score(ArrayNode values, double v) {
        if (Double.isFinite(v)) {
            values.add(v);
        } else {
            values.addNull();
        }
    }

    private static void putValue(ObjectNode o, String k, Object v) {
        if (v instanceof Integer i) {
            o.put(k, i);
        } else if (v instanceof Long l) {
            o.put(k, l);
        } else if (v instanceof Double d) {
            o.put(k, d);
        } else if (v instanceof Boolean b) {
            o.put(k, b);
        } else {
            o.put(k, ParamSpec.format(v));
        }
    }

    private static String write(ObjectNode root) {
        try {
            return MAPPER.writeValueAsString(root) + "\n";
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("cannot write metrics JSON", e);
        }
    }
}
