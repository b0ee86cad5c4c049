package org.explain4j.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.explain4j.cli.text.DeletionModel;
import org.explain4j.cli.text.TextFigures;
import org.explain4j.cli.text.TextMethods;
import org.explain4j.cli.text.TokenizedText;
import org.explain4j.core.Attribution;
import org.explain4j.core.Baseline;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.FeatureMask;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.Version;
import org.explain4j.core.catalog.MethodCatalog;
import org.explain4j.core.catalog.MethodSpec;
import org.explain4j.core.catalog.ParamSpec;
import org.explain4j.core.catalog.ParamType;
import org.explain4j.core.catalog.ParamValues;
import org.explain4j.core.catalog.Params;
import org.explain4j.core.engine.ProgressListener;
import org.explain4j.core.io.AttributionJson;
import org.explain4j.core.method.AttributionMethod;
import org.explain4j.core.model.FedInputs;
import org.explain4j.core.model.Model;

/**
 * What {@code :predict} and {@code :explain} compute, one instance at a time (a batch of one
 * example each, so an instance's result does not depend on the others in the request and equals
 * {@code explain4j attribute} on that example with the same parameters and seed).
 */
final class Explanations {
    /** Keys of {@code parameters} that are not catalogue parameters. */
    static final Set<String> RESERVED = Set.of("method", "target", "seed", "timeout", "keepJob");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int TOP = 5;

    private Explanations() {
    }

    /** The parsed {@code parameters} of an {@code :explain} body: method, target and catalogue values. */
    record Request(MethodSpec method, JsonNode target, Map<String, JsonNode> params, JsonNode given) {
        static Request of(JsonNode body) {
            JsonNode p = body.path("parameters");
            if (!p.isMissingNode() && !p.isObject()) {
                throw ApiException.badRequest("parameters", "\"parameters\" must be an object, e.g. {\"method\": "
                        + "\"saliency\", \"target\": 3}");
            }
            JsonNode m = p.get("method");
            if (m == null || !m.isTextual()) {
                throw ApiException.badRequest("method", "parameters.method is required: one of "
                        + String.join(", ", MethodCatalog.names()) + " (GET /v1/methods)");
            }
            MethodSpec spec = MethodCatalog.get(m.asText());
            Map<String, JsonNode> params = new LinkedHashMap<>();
            for (Iterator<String> it = p.fieldNames(); it.hasNext(); ) {
                String k = it.next();
                if (!RESERVED.contains(k) || (k.equals("seed") && spec.seeded())) {
                    params.put(k, p.get(k));
                }
            }
            JsonNode t = p.get("target");
            return new Request(spec, t == null || t.isNull() ? null : t, params, p.isMissingNode() ? JSON.createObjectNode() : p);
        }
    }

    /** The model's output for each instance, with probabilities and the top classes. */
    static ArrayNode predictions(ModelStore.Served model, List<Instances.Instance> instances) {
        ArrayNode out = JSON.createArrayNode();
        for (Instances.Instance in : instances) {
            out.add(prediction(model, forward(model, in)));
        }
        return out;
    }

    static Tensor forward(ModelStore.Served model, Instances.Instance in) {
        return in.fed().isEmpty() ? model.model.forward(in.explained()) : model.model.forward(in.explained(), in.fed());
    }

    static ObjectNode prediction(ModelStore.Served model, Tensor out) {
        double[] v = out.toDoubleArray();
        ObjectNode o = JSON.createObjectNode();
        ArrayNode raw = o.putArray("output");
        for (double x : v) {
            raw.add(x);
        }
        double[] p = softmax(v);
        ArrayNode probs = o.putArray("probabilities");
        for (double x : p) {
            probs.add(x);
        }
        Integer[] order = new Integer[p.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Double.compare(p[b], p[a]) != 0 ? Double.compare(p[b], p[a]) : Integer.compare(a, b));
        ArrayNode top = o.putArray("top");
        JsonNode labels = model.card.path("labels");
        for (int k = 0; k < Math.min(TOP, order.length); k++) {
            ObjectNode t = top.addObject();
            t.put("index", order[k]);
            if (labels.isArray() && order[k] < labels.size()) {
                t.put("label", labels.get(order[k]).asText());
            } else {
                t.putNull("label");
            }
            t.put("probability", p[order[k]]);
        }
        return o;
    }

    static int argmax(Tensor out) {
        int best = 0;
        for (int i = 1; i < out.size(); i++) {
            if (out.getDouble(i) > out.getDouble(best)) {
                best = i;
            }
        }
        return best;
    }

    private static double[] softmax(double[] v) {
        double max = Double.NEGATIVE_INFINITY;
        for (double x : v) {
            max = Math.max(max, x);
        }
        double sum = 0;
        double[] e = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            e[i] = Math.exp(v[i] - max);
            sum += e[i];
        }
        for (int i = 0; i < v.length; i++) {
            e[i] /= sum;
        }
        return e;
    }

    /** The method's parameter values for the catalogue, typed from JSON (no value names a file on the server). */
    static Params bind(Request r, ModelStore.Served model, Tensor input) {
        MethodSpec spec = r.method();
        Map<String, Object> typed = typed(r, input);
        if (spec.param("layer").isPresent() && !typed.containsKey("layer")) {
            if (model.text != null) {
                typed.put("layer", model.text.layer);
            } else if (model.card.path("layer").isTextual()) {
                typed.put("layer", model.card.get("layer").asText());
            }
        }
        return spec.bind(typed);
    }

    /**
     * The parameters of a text instance: those given, and where absent what {@code explain --text}
     * uses (the card's layer or the word-embedding output, the catalogue's suggested steps and
     * samples, seed 7, LRP's epsilon composite, every word replaced by the card's reference, the
     * card's word or token groups).
     */
    static Params bind(Request r, ModelStore.Served model, Instances.Instance in) {
        if (in.text() == null) {
            return bind(r, model, in.explained());
        }
        MethodSpec spec = r.method();
        TextCard card = model.text;
        if (!TextMethods.supported(spec)) {
            throw Explain4jException.usage("method", "method " + spec.name() + " does not apply to text (token ids); "
                    + "choose from " + String.join(", ", TextMethods.supportedNames()));
        }
        Map<String, Object> typed = typed(r, in.explained());
        for (Map.Entry<String, String> e : TextMethods.defaults(spec, card.layer).entrySet()) {
            if (!typed.containsKey(e.getKey())) { // a JSON null is not given: the text default applies
                typed.put(e.getKey(), spec.param(e.getKey()).orElseThrow().parse(e.getValue()));
            }
        }
        if (spec.param("baseline").isPresent() && !typed.containsKey("baseline")) {
            typed.put("baseline", Baseline.of(reference(spec, card, in)));
        }
        if (spec.param("feature-mask").isPresent() && !typed.containsKey("feature-mask")) {
            typed.put("feature-mask", FeatureMask.of(groups(card, in)));
        }
        return spec.bind(typed);
    }

    /** The text reference: non-special tokens replaced by the pad id (gradients) or the card's reference (perturbation). */
    private static Tensor reference(MethodSpec spec, TextCard card, Instances.Instance in) {
        long value = TextMethods.perturbation(spec) ? TextMethods.perturbationId(card.reference, card.pad, card.maskId)
                : card.pad;
        return TextMethods.replaced(in.explained(), List.of(in.text()), value);
    }

    private static Tensor groups(TextCard card, Instances.Instance in) {
        return TextMethods.featureMask(in.explained(), List.of(in.text()), card.features);
    }

    private static Map<String, Object> typed(Request r, Tensor input) {
        return ParamValues.typed(r.method(), r.params(), json(input));
    }

    /**
     * The service's source of values: JSON scalars as their text ({@code null} is not given), lists
     * for integer lists joined by commas; baselines and feature masks from nested arrays (the
     * server reads no files).
     */
    static ParamValues.Source<JsonNode> json(Tensor input) {
        return new ParamValues.Source<>() {
            @Override
            public String text(ParamSpec p, JsonNode v) {
                if (p == null) {
                    return v.isTextual() ? v.asText() : v.toString();
                }
                if (v.isNull()) {
                    return null;
                }
                if (p.type() == ParamType.INT_LIST) {
                    return v.isArray() ? join(v) : v.asText();
                }
                return v.isValueNode() ? v.asText() : v.toString();
            }

            @Override
            public Baseline baseline(ParamSpec p, JsonNode v, boolean distribution) {
                return Explanations.baseline(p, v, input, distribution);
            }

            @Override
            public FeatureMask featureMask(ParamSpec p, JsonNode v) {
                if (!v.isArray()) {
                    throw ApiException.badRequest(p.name(), p.name() + " must be a nested array of integer group ids");
                }
                return FeatureMask.of(Instances.nested(v, p.name(), org.explain4j.core.DType.INT64));
            }
        };
    }

    private static String join(JsonNode a) {
        List<String> parts = new ArrayList<>();
        a.forEach(x -> parts.add(x.asText()));
        return String.join(",", parts);
    }

    private static Baseline baseline(ParamSpec p, JsonNode v, Tensor input, boolean distribution) {
        if (v.isNumber()) {
            return Baseline.constant(v.asDouble());
        }
        if (v.isTextual()) { // "zeros" or "0.5", as the command line and Spark take them
            Baseline b = ParamValues.scalarBaseline(v.asText());
            if (b != null) {
                return b;
            }
        }
        if (!v.isArray()) {
            throw ApiException.badRequest(p.name(), p.name() + " must be \"zeros\", a number, or a nested array of the "
                    + "input's example shape (rows of it for a distribution); files are not read by the server");
        }
        Tensor b = Instances.nested(v, p.name(), input.dtype());
        b.requireFinite(p.name());
        int[] ex = input.exampleShape();
        if (b.rank() == ex.length) {
            int[] s = new int[ex.length + 1];
            s[0] = 1;
            System.arraycopy(b.shape(), 0, s, 1, ex.length);
            b = b.reshape(s);
        }
        return distribution || b.dim(0) > 1 ? Baseline.distribution(b) : Baseline.of(b);
    }

    /**
     * The target for one instance: the given class, or the predicted one, the top class of
     * {@code output} (the instance's model output, already computed for its prediction).
     */
    static Target target(Request r, Tensor output) {
        JsonNode t = r.target();
        if (t == null) {
            return Target.classIndex(argmax(output));
        }
        if (t.isIntegralNumber() && t.canConvertToInt()) {
            return Target.classIndex(t.asInt());
        }
        if (t.isObject() && t.path("weights").isArray()) {
            double[] w = new double[t.get("weights").size()];
            for (int i = 0; i < w.length; i++) {
                JsonNode x = t.get("weights").get(i);
                if (!x.isNumber() || !Double.isFinite(x.asDouble())) {
                    throw Explain4jException.target("target", "target.weights must hold finite numbers");
                }
                w[i] = x.asDouble();
            }
            return Target.weighting(w);
        }
        throw Explain4jException.target("target", "target '" + t + "' must be a class index (an integer), "
                + "{\"weights\": [...]} or absent (the predicted class)");
    }

    /**
     * Explains one instance; {@code output} is its model output (its prediction), whose top class
     * is the target when none is given, so the model is not run again for it.
     */
    static Attribution explain(Request r, ModelStore.Served model, Instances.Instance in, Tensor output,
                               ProgressListener progress) {
        Params params = bind(r, model, in);
        Target t = target(r, output);
        Model explained = model.model;
        if (in.text() != null && TextMethods.perturbation(r.method()) && model.text.reference.equals("delete")) {
            explained = new DeletionModel(model.model, model.text.inputs.mask(), model.text.inputs.types(), model.text.pad);
        }
        AttributionMethod m = r.method().create(explained, params, progress);
        return m.attribute(in.explained(), in.fed().isEmpty() ? FedInputs.none() : FedInputs.of(in.fed()), t);
    }

    /**
     * One explanation in the response; for a text instance {@code data} also holds the text, its
     * tokens and words with their spans (code points and UTF-16 units) and per-token and per-word
     * values as {@code text.json} defines them.
     */
    static ObjectNode explanation(Attribution a, ModelStore.Served model, Instances.Instance in, Request r) {
        ObjectNode o = explanation(a, model);
        TokenizedText tt = in.text();
        if (tt == null) {
            return o;
        }
        boolean perturbation = TextMethods.perturbation(r.method());
        boolean ownMask = r.params().containsKey("feature-mask") && !r.params().get("feature-mask").isNull();
        Tensor groups = !perturbation ? null : ownMask ? givenGroups(r.params().get("feature-mask"), tt.size())
                : groups(model.text, in);
        double[] tv = TextMethods.perToken(a, List.of(tt), groups).get(0);
        double[] wv = TextFigures.wordValues(tt, tv);
        ObjectNode data = (ObjectNode) o.get("data");
        data.put("text", tt.text());
        data.put("truncated", tt.truncated());
        data.put("features", ownMask ? "given" : model.text.features);
        boolean ownBaseline = r.params().containsKey("baseline") && !r.params().get("baseline").isNull();
        data.put("reference", ownBaseline ? "given" : perturbation ? model.text.reference : "pad");
        int[] wordOf = tt.wordOfToken();
        ArrayNode tokens = data.putArray("tokens");
        for (int j = 0; j < tt.size(); j++) {
            TokenizedText.Token k = tt.tokens().get(j);
            ObjectNode t = tokens.addObject();
            t.put("token", k.piece());
            t.put("id", k.id());
            t.put("special", k.special());
            t.put("word", k.special() ? -1 : wordOf[j]);
            t.put("start", k.start());
            t.put("end", k.end());
            t.put("start_utf16", tt.utf16Start(j));
            t.put("end_utf16", tt.utf16End(j));
            t.put("value", tv[j]);
        }
        ArrayNode words = data.putArray("words");
        for (TokenizedText.Word w : tt.words()) {
            ObjectNode x = words.addObject();
            x.put("text", tt.surface(w));
            x.put("start", w.start());
            x.put("end", w.end());
            x.put("start_utf16", tt.text().offsetByCodePoints(0, w.start()));
            x.put("end_utf16", tt.text().offsetByCodePoints(0, w.end()));
            x.put("first_token", w.firstToken());
            x.put("token_count", w.tokenCount());
            x.put("value", wv[w.index()]);
        }
        return o;
    }

    /**
     * The request's own feature mask as one group id per token, so a group's value is split over
     * its tokens as with the card's groups; null (no split) when it is not one id per token.
     */
    private static Tensor givenGroups(JsonNode mask, int tokens) {
        Tensor m = Instances.nested(mask, "feature-mask", org.explain4j.core.DType.INT64);
        return m.size() == tokens ? m.reshape(1, tokens) : null;
    }

    /** One explanation in the response: Alibi-style meta and data. */
    static ObjectNode explanation(Attribution a, ModelStore.Served model) {
        ObjectNode o = JSON.createObjectNode();
        ObjectNode meta = o.putObject("meta");
        meta.put("method", a.method());
        meta.set("parameters", AttributionJson.options(a));
        if (a.seed().isPresent()) {
            meta.put("seed", a.seed().getAsLong());
        }
        meta.put("version", Version.get());
        meta.put("model", model.name);
        meta.put("model_sha256", a.provenance().modelSha256());
        ObjectNode data = o.putObject("data");
        Tensor v = a.values();
        ArrayNode shape = data.putArray("shape");
        for (int i = 1; i < v.rank(); i++) {
            shape.add(v.dim(i));
        }
        data.put("dtype", v.dtype().label());
        data.set("attributions", AttributionJson.values(v));
        data.set("target", AttributionJson.target(a));
        data.put("input", a.input());
        data.set("diagnostics", AttributionJson.diagnostics(a.diagnostics()));
        return o;
    }
}
