package org.explain4j.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.explain4j.core.DType;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.catalog.MethodCatalog;
import org.explain4j.core.catalog.MethodSpec;
import org.explain4j.core.catalog.Params;
import org.explain4j.core.engine.EvaluationEngine;
import org.explain4j.core.engine.ProgressListener;
import org.explain4j.core.metrics.Explainer;
import org.explain4j.core.metrics.Metric;
import org.explain4j.core.metrics.MetricCatalog;
import org.explain4j.core.metrics.MetricInput;
import org.explain4j.core.metrics.MetricJson;
import org.explain4j.core.metrics.MetricSpec;
import org.explain4j.core.metrics.Scores;

/**
 * {@code POST /v1/models/{m}:evaluate}: one attribution-quality metric of given attributions, as
 * {@code explain4j evaluate} computes it. The instances are stacked into one batch {@code (N, ...)}
 * (the metric's seeded draws run over the batch, as on the command line), the attributions (one per
 * instance, the input's example shape) likewise; the answer has one score (or one row) per instance.
 */
final class Evaluations {
    /** Keys of {@code parameters} that are not metric parameters. */
    static final Set<String> RESERVED = Set.of("metric", "target", "seed", "method", "methodParameters", "timeout",
            "keepJob");
    private static final ObjectMapper JSON = new ObjectMapper();

    private Evaluations() {
    }

    /** A checked evaluation, ready to run in a job. */
    record Request(MetricSpec spec, Metric metric, long seed, Tensor input, Tensor attribution, int[] targets,
                   Optional<Tensor> mask, Optional<MethodSpec> method, Optional<Params> methodParams) {
    }

    /** Checks the body (instances already parsed) and binds the metric; every error names its argument. */
    static Request parse(JsonNode body, ModelStore.Served model, List<Instances.Instance> in, long jobMemory) {
        JsonNode p = body.path("parameters");
        if (!p.isObject()) {
            throw ApiException.badRequest("parameters", "the body needs \"parameters\": {\"metric\": NAME, ...} "
                    + "(GET /v1/metrics)");
        }
        JsonNode mn = p.get("metric");
        if (mn == null || !mn.isTextual()) {
            throw ApiException.badRequest("metric", "parameters.metric is required: one of "
                    + String.join(", ", MetricCatalog.names()) + " (GET /v1/metrics)");
        }
        MetricSpec ms = MetricCatalog.get(mn.asText());
        for (int i = 0; i < in.size(); i++) {
            if (in.get(i).text() != null) {
                throw new ApiException(422, "unsupported", "instances[" + i + "]", "metrics perturb the model's input, "
                        + "and a text instance's input is token ids, which cannot be perturbed; send numeric instances");
            }
            if (!in.get(i).fed().isEmpty()) {
                throw new ApiException(422, "unsupported", "instances[" + i + "]", "metrics are evaluated on models "
                        + "with one input; instances[" + i + "] feeds several");
            }
        }
        Map<String, Object> given = new LinkedHashMap<>();
        for (Iterator<String> it = p.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (RESERVED.contains(k)) {
                continue;
            }
            JsonNode v = p.get(k);
            if (v.isNull()) {
                continue;
            }
            String text = v.isArray() ? join(v) : v.isValueNode() ? v.asText() : v.toString();
            given.put(k, ms.param(k).map(ps -> ps.parse(text)).orElse(text)); // binding refuses unknown names
        }
        Long seed = null;
        JsonNode sn = p.get("seed");
        if (sn != null && !sn.isNull()) {
            if (!sn.canConvertToLong() || !sn.isIntegralNumber()) {
                throw ApiException.badRequest("seed", "seed '" + sn + "' must be an integer");
            }
            seed = sn.asLong();
            if (ms.param("seed").isPresent()) {
                given.put("seed", seed);
            }
        }
        Params params = ms.bind(given);
        // refuse budgets whose arrays would not fit, before anything is allocated
        JobMemory.checkMetric(ms, params, in.size(), in.get(0).explained().exampleSize(), jobMemory);
        long runSeed = seed != null ? seed : params.values().get("seed") instanceof Long l ? l : 0L;
        Metric metric = ms.factory().create(params);

        List<Tensor> rows = new ArrayList<>();
        in.forEach(x -> rows.add(x.explained()));
        Tensor x = Tensor.concat(rows);
        int[] ex = x.exampleShape();
        Tensor a = attributions(body.get("attributions"), in.size(), ex);
        int[] targets = targets(p.get("target"), model, in);
        Optional<Tensor> mask = masks(body.get("masks"), ms, in.size(), ex);

        JsonNode method = p.get("method");
        boolean hasMethod = method != null && !method.isNull();
        if (!hasMethod && ms.reExplains()) {
            throw ApiException.badRequest("method", "parameters.method is required: " + ms.name()
                    + " recomputes explanations (e.g. \"method\": \"saliency\")");
        }
        if (hasMethod && !ms.reExplains()) {
            throw ApiException.badRequest("method", "method does not apply to " + ms.name()
                    + ": it scores the given attributions without recomputing explanations");
        }
        Optional<MethodSpec> spec = Optional.empty();
        Optional<Params> mp = Optional.empty();
        if (hasMethod) {
            if (!method.isTextual()) {
                throw ApiException.badRequest("method", "parameters.method must be a method name (GET /v1/methods)");
            }
            MethodSpec m = MethodCatalog.get(method.asText());
            JsonNode mps = p.path("methodParameters");
            if (!mps.isMissingNode() && !mps.isNull() && !mps.isObject()) {
                throw ApiException.badRequest("methodParameters", "parameters.methodParameters must be an object of the "
                        + "method's parameters, e.g. {\"steps\": 16}");
            }
            Map<String, JsonNode> values = new LinkedHashMap<>();
            if (mps.isObject()) {
                mps.fields().forEachRemaining(e -> values.put(e.getKey(), e.getValue()));
            }
            Explanations.Request r = new Explanations.Request(m, null, values, mps.isObject() ? mps
                    : JSON.createObjectNode());
            Params bound = Explanations.bind(r, model, in.get(0).explained());
            // the metric re-explains up to a batch of perturbed copies at once
            JobMemory.check(m, bound, in.get(0).explained(), EvaluationEngine.DEFAULT_BATCH_SIZE, jobMemory);
            spec = Optional.of(m);
            mp = Optional.of(bound);
        }
        return new Request(ms, metric, runSeed, x, a, targets, mask, spec, mp);
    }

    /** Runs the metric in a job: the job is the progress listener, so cancellation and deadlines stop it. */
    static Jobs.Result run(Request r, ModelStore.Served model, Jobs.Job job) {
        Optional<Explainer> explainer = Optional.empty();
        if (r.method().isPresent()) {
            MethodSpec m = r.method().get();
            Params mp = r.methodParams().get();
            // each re-explanation checks the job at its engine's every batch (a long method stops too) and
            // counts its model evaluations in the job's progress when it is done
            ProgressListener checks = new ProgressListener() {
                @Override
                public void start(String task, long total) {
                    job.check();
                }

                @Override
                public void advance(long done) {
                    job.check();
                }

                @Override
                public void finish() {
                }
            };
            explainer = Optional.of((mdl, input, t) -> {
                job.check();
                org.explain4j.core.Attribution a = m.create(mdl, mp, checks).attribute(input, Target.of(t));
                job.advance(a.diagnostics().modelEvaluations());
                return a.values();
            });
        }
        long mark = job.done();
        Scores s = r.metric().evaluate(new MetricInput(model.model, r.input(), r.attribution(), r.targets(), r.mask(),
                explainer, r.seed(), EvaluationEngine.DEFAULT_BATCH_SIZE, job));
        job.check();
        job.account(s.modelEvaluations(), mark); // adds what the metric did not report
        return Jobs.Result.scores(response(s, r, model), s.values());
    }

    static ObjectNode response(Scores s, Request r, ModelStore.Served model) {
        ObjectNode o = JSON.createObjectNode();
        Tensor v = s.values();
        int n = r.input().batchSize();
        ArrayNode scores = o.putArray("scores");
        if (v.rank() >= 1 && v.dim(0) == n) {
            int per = v.size() / Math.max(1, n);
            for (int i = 0; i < n; i++) {
                if (v.rank() == 1) {
                    MetricJson.score(scores, v.getDouble(i));
                } else {
                    ArrayNode row = scores.addArray();
                    for (int k = 0; k < per; k++) {
                        MetricJson.score(row, v.getDouble(i * per + k));
                    }
                }
            }
        } else {
            for (int i = 0; i < v.size(); i++) { // an aggregate (return-aggregate): one value for all
                MetricJson.score(scores, v.getDouble(i));
            }
        }
        ArrayNode shape = o.putArray("shape");
        for (int d : v.shape()) {
            shape.add(d);
        }
        o.put("metric", s.metric());
        ObjectNode params = o.putObject("parameters");
        s.parameters().forEach((k, val) -> params.set(k, JSON.valueToTree(val)));
        s.seed().ifPresent(x -> o.put("seed", x));
        ArrayNode t = o.putArray("targets");
        for (int x : r.targets()) {
            t.add(x);
        }
        r.method().ifPresent(m -> o.put("method", m.name()));
        r.spec().higherIsBetter().ifPresent(h -> o.put("higher_is_better", h));
        o.put("model", model.name);
        o.put("model_sha256", model.sha256());
        o.put("model_evaluations", s.modelEvaluations());
        return o;
    }

    private static Tensor attributions(JsonNode list, int n, int[] ex) {
        if (list == null || !list.isArray()) {
            throw ApiException.badRequest("attributions", "the body needs \"attributions\": one {\"shape\", "
                    + "\"attributions\"} per instance (the explanations' \"data\" of :explain)");
        }
        if (list.size() != n) {
            throw Explain4jException.shape("attributions", "\"attributions\" has " + list.size() + " entries for " + n
                    + " instances; give one per instance");
        }
        int size = 1;
        for (int d : ex) {
            size *= d;
        }
        double[] flat = new double[n * size];
        for (int i = 0; i < n; i++) {
            String arg = "attributions[" + i + "]";
            JsonNode e = list.get(i);
            JsonNode vals = e == null ? null : e.get("attributions");
            if (vals == null || !vals.isArray()) {
                throw ApiException.badRequest(arg, arg + " must be {\"shape\": [...], \"attributions\": [flat numbers]}");
            }
            JsonNode sh = e.get("shape");
            if (sh != null && !sh.isNull()) {
                int[] s = new int[sh.size()];
                for (int k = 0; k < s.length; k++) {
                    s[k] = sh.get(k).asInt();
                }
                if (!java.util.Arrays.equals(s, ex)) {
                    throw Explain4jException.shape(arg, arg + " has shape " + Tensor.shapeString(s) + " but the input's "
                            + "example shape is " + Tensor.shapeString(ex) + "; metrics need one attribution per input "
                            + "element (layer methods and Grad-CAM cannot be scored)");
                }
            }
            if (vals.size() != size) {
                throw Explain4jException.shape(arg, arg + " has " + vals.size() + " values but the input's example shape "
                        + Tensor.shapeString(ex) + " has " + size);
            }
            for (int k = 0; k < size; k++) {
                JsonNode v = vals.get(k);
                if (!v.isNumber() || !Double.isFinite(v.asDouble())) {
                    throw new ApiException(400, "non_finite", arg, arg + "[" + k + "] is " + v + "; give finite numbers");
                }
                flat[i * size + k] = v.asDouble();
            }
        }
        int[] shape = new int[ex.length + 1];
        shape[0] = n;
        System.arraycopy(ex, 0, shape, 1, ex.length);
        return Tensor.ofDoubles(flat, shape);
    }

    /** A class for all, one per instance, or absent/null: the predicted class of each instance. */
    private static int[] targets(JsonNode t, ModelStore.Served model, List<Instances.Instance> in) {
        int n = in.size();
        int[] out = new int[n];
        if (t == null || t.isNull()) {
            for (int i = 0; i < n; i++) {
                out[i] = Explanations.argmax(Explanations.forward(model, in.get(i)));
            }
            return out;
        }
        if (t.isArray()) {
            if (t.size() != n) {
                throw Explain4jException.target("target", "target gives " + t.size() + " classes for " + n
                        + " instances; give one class for all or one per instance");
            }
            for (int i = 0; i < n; i++) {
                out[i] = index(t.get(i));
            }
            return out;
        }
        java.util.Arrays.fill(out, index(t));
        return out;
    }

    private static int index(JsonNode t) {
        if (t == null || !t.isIntegralNumber() || !t.canConvertToInt() || t.asInt() < 0) {
            throw Explain4jException.target("target", "target '" + t + "' must be a class index from 0 (metrics score "
                    + "one class per instance), a list of them, or absent (the predicted class)");
        }
        return t.asInt();
    }

    private static Optional<Tensor> masks(JsonNode m, MetricSpec ms, int n, int[] ex) {
        boolean given = m != null && !m.isNull();
        if (!given && ms.needsMask()) {
            throw ApiException.badRequest("masks", "\"masks\" is required: " + ms.name() + " compares the attribution "
                    + "with a ground-truth 0/1 mask per instance, of the input's example shape");
        }
        if (given && !ms.needsMask()) {
            throw ApiException.badRequest("masks", "masks do not apply to " + ms.name() + " (it takes no ground-truth mask)");
        }
        if (!given) {
            return Optional.empty();
        }
        if (!m.isArray() || m.size() != n) {
            throw Explain4jException.shape("masks", "\"masks\" must be a list of one nested array per instance (" + n + ")");
        }
        List<Tensor> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Tensor t = Instances.nested(m.get(i), "masks[" + i + "]", DType.FLOAT64);
            if (!java.util.Arrays.equals(t.shape(), ex)) {
                throw Explain4jException.shape("masks[" + i + "]", "masks[" + i + "] has shape "
                        + Tensor.shapeString(t.shape()) + "; give the input's example shape " + Tensor.shapeString(ex));
            }
            int[] s = new int[ex.length + 1];
            s[0] = 1;
            System.arraycopy(ex, 0, s, 1, ex.length);
            rows.add(t.reshape(s));
        }
        return Optional.of(Tensor.concat(rows));
    }

    private static String join(JsonNode a) {
        List<String> parts = new ArrayList<>();
        a.forEach(x -> parts.add(x.asText()));
        return String.join(",", parts);
    }
}
