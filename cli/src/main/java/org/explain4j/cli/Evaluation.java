package org.explain4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.explain4j.core.Attribution;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.Version;
import org.explain4j.core.catalog.Family;
import org.explain4j.core.catalog.MethodCatalog;
import org.explain4j.core.catalog.MethodSpec;
import org.explain4j.core.catalog.ParamSpec;
import org.explain4j.core.catalog.Params;
import org.explain4j.core.engine.EvaluationEngine;
import org.explain4j.core.engine.ProgressListener;
import org.explain4j.core.metrics.Explainer;
import org.explain4j.core.metrics.MetricCatalog;
import org.explain4j.core.metrics.MetricInput;
import org.explain4j.core.metrics.MetricJson;
import org.explain4j.core.metrics.MetricSpec;
import org.explain4j.core.metrics.Scores;
import org.explain4j.core.model.Model;
import org.explain4j.viz.EvaluationSection;
import org.explain4j.viz.Figure;
import org.explain4j.viz.LineChart;

/**
 * The "Which explanation to trust?" part of {@code explain --evaluate} and {@code demo}: a few
 * headline metrics of each method's attributions, computed through the metric catalogue exactly
 * as {@code explain4j evaluate} computes them (each score's command is written beside it), a
 * ranking, the randomisation sanity verdict, charts of the curves, and {@code evaluation.json}.
 *
 * <p>Budgets (also stated in the report): deletion and insertion move about 1/64 of the
 * features per step; faithfulness correlation draws 100 subsets of a quarter of the pixels (at
 * most 224); max-sensitivity re-explains 10 noisy copies (noise up to 5% of the input's range)
 * and MPRT randomises every layer top-down, both only for the deterministic backward-pass
 * methods (gradient, layer and propagation families), whose re-explaining costs one or a few
 * backward passes; sparseness for every method.
 */
final class Evaluation {
    /** Sanity verdict: pass when the mean MPRT similarity after randomising every layer is below this. */
    static final double SANITY_THRESHOLD = 0.5;
    /** The seed of the sampling metrics (faithfulness correlation, max-sensitivity). */
    static final long SEED = 0;
    /** Noisy copies per example for max-sensitivity (Quantus's default is 200). */
    static final int SENSITIVITY_SAMPLES = 10;
    /** Points per deletion/insertion curve, about. */
    static final int CURVE_STEPS = 64;
    /** The metrics whose ranks are averaged into a method's rank, and whether higher is better. */
    static final Map<String, Boolean> RANKED = rankedMetrics();
    /** evaluation.json's layout version. */
    static final int FORMAT = 1;

    static final String DELETION = "deletion";
    static final String INSERTION = "insertion";
    static final String FAITHFULNESS = "faithfulness-correlation";
    static final String SENSITIVITY = "max-sensitivity";
    static final String MPRT = "mprt";
    static final String SPARSENESS = "sparseness";

    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** One method's result as explain ran it: name, parameters as text, attribution and its .npy file. */
    record Done(String method, Map<String, String> params, Attribution attribution, Path file) {
    }

    /** One metric's result for one method: the scores, the per-example mean, the flags that reproduce it. */
    record Result(Scores scores, double mean, Map<String, String> flags) {
    }

    /** One method's scores, rank, verdict and the metrics not computed with their reasons. */
    static final class MethodScores {
        final Done done;
        final Map<String, Result> results = new LinkedHashMap<>();
        final Map<String, String> notComputed = new LinkedHashMap<>();
        double rank = Double.NaN;

        MethodScores(Done done) {
            this.done = done;
        }

        Optional<String> verdict() {
            Result m = results.get(MPRT);
            if (m == null || Double.isNaN(m.mean())) {
                return Optional.empty();
            }
            return Optional.of(m.mean() < SANITY_THRESHOLD ? "pass" : "fail");
        }
    }

    private final ModelLoader.Loaded model;
    private final Path modelPath;
    private final Tensor x;
    private final Path inputFile;
    private final int[] targets;
    private final Path out;
    private final boolean fedInputs;
    private List<String> layers = List.of();
    private final Map<String, Long> nanos = new LinkedHashMap<>();

    Evaluation(ModelLoader.Loaded model, Path modelPath, Tensor x, Path inputFile, int[] targets, Path out, boolean fedInputs) {
        this.model = model;
        this.modelPath = modelPath;
        this.x = x;
        this.inputFile = inputFile;
        this.targets = targets.clone();
        this.out = out;
        this.fedInputs = fedInputs;
    }

    private static Map<String, Boolean> rankedMetrics() {
        Map<String, Boolean> m = new LinkedHashMap<>();
        m.put(DELETION, false);
        m.put(INSERTION, true);
        m.put(FAITHFULNESS, true);
        return m;
    }

    /** Scores every method, writes evaluation.json and the charts, and returns the report's section. */
    EvaluationSection run(List<Done> done, PrintWriter log) {
        long start = System.nanoTime();
        List<MethodScores> all = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        if (fedInputs) {
            notes.add("Nothing computed: the metrics feed the model only the explained input, and this model takes "
                    + "other inputs too.");
            done = List.of();
        }
        try (SharedRandomisation shared = new SharedRandomisation(model)) {
            for (Done d : done) {
                all.add(score(d, shared));
            }
        }
        rank(all);
        notes.addAll(skipNotes(all));
        writeJson(all);
        List<Figure> figures = charts(all);
        StringBuilder per = new StringBuilder();
        nanos.forEach((k, v) -> per.append(per.length() == 0 ? "" : ", ").append(k)
                .append(String.format(Locale.ROOT, " %.1f s", v / 1e9)));
        log.printf("evaluation: %d methods scored in %.1f s (%s); evaluation.json%n", all.stream()
                .filter(m -> !m.results.isEmpty()).count(), (System.nanoTime() - start) / 1e9, per);
        return section(all, figures, notes);
    }

    // ---- computing ----

    private MethodScores score(Done d, SharedRandomisation shared) {
        MethodScores s = new MethodScores(d);
        Tensor a = d.attribution().values();
        if (!Arrays.equals(a.shape(), x.shape())) {
            String reason = "its attribution has shape " + Tensor.shapeString(a.shape()) + ", not the input's "
                    + Tensor.shapeString(x.shape()) + " (a layer's attribution)";
            for (String m : List.of(DELETION, INSERTION, FAITHFULNESS, SENSITIVITY, MPRT, SPARSENESS)) {
                s.notComputed.put(m, reason);
            }
            return s;
        }
        int spatial = spatial();
        int step = Math.max(1, (x.exampleSize() + CURVE_STEPS - 1) / CURVE_STEPS);
        boolean image = x.rank() == 4;
        compute(s, DELETION, flags("step", step, "substrate", "zeros"), Optional.empty(), model);
        compute(s, INSERTION, flags("step", step, "substrate", image ? "blur" : "zeros"), Optional.empty(), model);
        if (spatial >= 2) {
            compute(s, FAITHFULNESS, flags("nr-runs", 100, "subset-size", Math.max(1, Math.min(224, spatial / 4)),
                    "return-aggregate", false, "seed", SEED), Optional.empty(), model);
        } else {
            s.notComputed.put(FAITHFULNESS, "the input has a single feature");
        }
        Optional<String> why = reExplainRefusal(d.method());
        if (why.isEmpty()) {
            Explainer e = explainer(d);
            compute(s, SENSITIVITY, flags("nr-samples", SENSITIVITY_SAMPLES, "lower-bound", noiseBound(), "seed", SEED),
                    Optional.of(e), model);
            if (shared.layers().isEmpty()) {
                s.notComputed.put(MPRT, "the model has no layer with weights to randomise (Conv, Gemm or MatMul initializers)");
            } else {
                layers = shared.layers();
                compute(s, MPRT, flags("layer-order", "top_down", "seed", 42L), Optional.of(e), shared);
            }
        } else {
            s.notComputed.put(SENSITIVITY, why.get());
            s.notComputed.put(MPRT, why.get());
        }
        compute(s, SPARSENESS, flags(), Optional.empty(), model);
        return s;
    }

    /** Why a method is not re-explained (max-sensitivity, MPRT), or empty when it is. */
    static Optional<String> reExplainRefusal(String method) {
        MethodSpec spec = MethodCatalog.get(method);
        if (spec.family() == Family.PERTURBATION) {
            return Optional.of("a perturbation method: re-explaining costs its full perturbation budget per noisy copy "
                    + "and per randomised layer");
        }
        if (spec.seeded()) {
            return Optional.of("a sampling method: its own noise would be measured along with the model's");
        }
        return Optional.empty();
    }

    private void compute(MethodScores s, String metric, Map<String, Object> given, Optional<Explainer> explainer,
                         Model on) {
        MetricSpec ms = MetricCatalog.get(metric);
        long t0 = System.nanoTime();
        try {
            // the seed is evaluate's --seed: a parameter of the metrics that declare it (mprt), MetricInput's seed for all
            long seed = given.get("seed") instanceof Long l ? l : 0L;
            Map<String, Object> bound = new LinkedHashMap<>(given);
            if (ms.param("seed").isEmpty()) {
                bound.remove("seed");
            }
            Params p = ms.bind(bound);
            Scores sc = ms.factory().create(p).evaluate(new MetricInput(on, x, s.done.attribution().values(), targets,
                    Optional.empty(), explainer, seed, EvaluationEngine.DEFAULT_BATCH_SIZE, ProgressListener.NONE));
            Map<String, String> f = new LinkedHashMap<>();
            given.forEach((k, v) -> f.put(k, ParamSpec.format(v)));
            double mean = metric.equals(MPRT) ? lastColumnMean(sc) : nanMean(sc.values());
            s.results.put(metric, new Result(sc, mean, f));
        } catch (Explain4jException e) {
            s.notComputed.put(metric, Main.oneLine(e.getMessage()));
        } finally {
            nanos.merge(metric, System.nanoTime() - t0, Long::sum);
        }
    }

    /** The method as explain ran it, with the run's parameters, through the method catalogue. */
    private Explainer explainer(Done d) {
        MethodSpec spec = MethodCatalog.get(d.method());
        Params p = spec.bind(MethodOptions.typed(spec, d.params(), x));
        return (m, in, t) -> spec.create(m, p, ProgressListener.NONE).attribute(in, Target.of(t)).values();
    }

    private static Map<String, Object> flags(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    /** Quantus's prod(x.shape[2:]): H*W for images, F for tables. */
    private int spatial() {
        int s = 1;
        for (int i = 2; i < x.rank(); i++) {
            s *= x.dim(i);
        }
        return x.rank() == 2 ? x.dim(1) : s;
    }

    /** 5% of the input's value range, rounded to two significant digits (0.05 for inputs in [0, 1]). */
    double noiseBound() {
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (double v : x.toDoubleArray()) {
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
        }
        double r = hi > lo ? hi - lo : 1;
        return Double.parseDouble(String.format(Locale.ROOT, "%.2g", 0.05 * r));
    }

    static double nanMean(Tensor t) {
        double s = 0;
        int k = 0;
        for (int i = 0; i < t.size(); i++) {
            double v = t.getDouble(i);
            if (!Double.isNaN(v)) {
                s += v;
                k++;
            }
        }
        return k == 0 ? Double.NaN : s / k;
    }

    /**
     * MPRT: the mean over examples of the similarity after the last randomisation step (every layer),
     * over the examples where it is defined (Spearman is NaN when an explanation is constant).
     */
    static double lastColumnMean(Scores mprt) {
        return columnMeans(mprt)[mprt.values().dim(1) - 1];
    }

    /** The mean over examples of each column of an (N, K) score. */
    static double[] columnMeans(Scores s) {
        Tensor t = s.values();
        int n = t.dim(0);
        int k = t.dim(1);
        double[] m = new double[k];
        for (int c = 0; c < k; c++) {
            double sum = 0;
            int cnt = 0;
            for (int e = 0; e < n; e++) {
                double v = t.getDouble(e * k + c);
                if (!Double.isNaN(v)) {
                    sum += v;
                    cnt++;
                }
            }
            m[c] = cnt == 0 ? Double.NaN : sum / cnt;
        }
        return m;
    }

    /**
     * Ranks: per ranked metric, methods scored on it ordered best first (average ranks for ties);
     * a method's rank is the mean of its ranks over the ranked metrics, for methods scored on all of them.
     */
    static void rank(List<MethodScores> all) {
        List<MethodScores> ranked = all.stream()
                .filter(m -> RANKED.keySet().stream().allMatch(k -> m.results.containsKey(k)
                        && !Double.isNaN(m.results.get(k).mean())))
                .toList();
        double[] total = new double[ranked.size()];
        for (Map.Entry<String, Boolean> e : RANKED.entrySet()) {
            double[] v = new double[ranked.size()];
            for (int i = 0; i < v.length; i++) {
                v[i] = ranked.get(i).results.get(e.getKey()).mean() * (e.getValue() ? -1 : 1);
            }
            double[] r = averageRanks(v);
            for (int i = 0; i < v.length; i++) {
                total[i] += r[i];
            }
        }
        for (int i = 0; i < total.length; i++) {
            ranked.get(i).rank = total[i] / RANKED.size();
        }
    }

    /** 1-based ranks of {@code v} ascending, ties sharing their average rank. */
    static double[] averageRanks(double[] v) {
        Integer[] idx = new Integer[v.length];
        for (int i = 0; i < v.length; i++) {
            idx[i] = i;
        }
        Arrays.sort(idx, (p, q) -> Double.compare(v[p], v[q]));
        double[] r = new double[v.length];
        for (int i = 0; i < v.length; ) {
            int j = i;
            while (j + 1 < v.length && v[idx[j + 1]] == v[idx[i]]) {
                j++;
            }
            for (int k = i; k <= j; k++) {
                r[idx[k]] = (i + j) / 2.0 + 1;
            }
            i = j + 1;
        }
        return r;
    }

    /** Methods in rank order (best first), unranked ones after them in run order. */
    static List<MethodScores> ordered(List<MethodScores> all) {
        List<MethodScores> o = new ArrayList<>(all);
        o.sort((p, q) -> Double.isNaN(p.rank) || Double.isNaN(q.rank)
                ? Boolean.compare(Double.isNaN(p.rank), Double.isNaN(q.rank)) : Double.compare(p.rank, q.rank));
        return o;
    }

    /** One line per metric left out, grouping the methods that share the reason. */
    private static List<String> skipNotes(List<MethodScores> all) {
        Map<String, List<String>> byReason = new LinkedHashMap<>();
        for (MethodScores m : all) {
            Map<String, List<String>> metricsByReason = new LinkedHashMap<>();
            m.notComputed.forEach((metric, reason) -> metricsByReason.computeIfAbsent(reason, r -> new ArrayList<>()).add(metric));
            metricsByReason.forEach((reason, metrics) -> byReason.computeIfAbsent(String.join(", ", metrics) + ": " + reason,
                    k -> new ArrayList<>()).add(m.done.method()));
        }
        List<String> out = new ArrayList<>();
        byReason.forEach((what, methods) -> {
            int colon = what.indexOf(": ");
            out.add(what.substring(0, colon) + " not computed for " + String.join(", ", methods) + ": "
                    + what.substring(colon + 2) + ".");
        });
        return out;
    }

    // ---- the report ----

    static final List<String> COLUMNS = List.of("rank", "method", "deletion AUC \u2193", "insertion AUC \u2191",
            "faithfulness corr. \u2191", "max-sensitivity \u2193", "MPRT similarity \u2193",
            "sparseness \u2191", "sanity check");
    private static final List<String> COLUMN_METRICS = List.of(DELETION, INSERTION, FAITHFULNESS, SENSITIVITY, MPRT,
            SPARSENESS);

    /** How a score is shown in the table (and compared with evaluation.json by the tests). */
    static String cell(double v) {
        return Double.isNaN(v) ? "NaN" : String.format(Locale.ROOT, "%.3f", v);
    }

    static String rankCell(double r) {
        return Double.isNaN(r) ? "-" : r == Math.rint(r) ? String.valueOf((long) r) : String.format(Locale.ROOT, "%.2f", r);
    }

    private EvaluationSection section(List<MethodScores> all, List<Figure> figures, List<String> notes) {
        List<EvaluationSection.Row> rows = new ArrayList<>();
        for (MethodScores m : ordered(all)) {
            List<String> cells = new ArrayList<>();
            cells.add(rankCell(m.rank));
            cells.add(m.done.method());
            for (String metric : COLUMN_METRICS) {
                Result r = m.results.get(metric);
                cells.add(r == null ? "-" : cell(r.mean()));
            }
            cells.add(m.verdict().orElse("-"));
            rows.add(new EvaluationSection.Row(m.done.method(), cells));
        }
        int n = x.batchSize();
        List<String> intro = List.of(
                "Each method's attributions scored with explain4j's metrics (docs/METRICS.md), each number the mean over the "
                        + n + " examples for the explained class; evaluation.json holds every example's score and the "
                        + "explain4j evaluate command that reproduces it.",
                "Rank: for each of deletion (lower first), insertion and faithfulness correlation (higher first) the methods "
                        + "are ranked 1, 2, ... (ties share their average rank); a method's rank is the mean of its three "
                        + "ranks, best first. Max-sensitivity, MPRT and sparseness are shown beside it, not ranked into it: "
                        + "they measure stability, dependence on the model and readability, not whether the ranking of "
                        + "features is right. Sanity check: pass when randomising the model's weights changes the "
                        + "explanation (below).");
        int step = Math.max(1, (x.exampleSize() + CURVE_STEPS - 1) / CURVE_STEPS);
        List<String> details = List.of(
                "Budgets, kept small so that the report stays quick: deletion and insertion move "
                        + step + (step == 1 ? " feature" : " features") + " per step (about "
                        + CURVE_STEPS + " steps); faithfulness correlation draws 100 random subsets; max-sensitivity "
                        + "re-explains " + SENSITIVITY_SAMPLES + " noisy copies of each example (Quantus's default is 200) "
                        + "with noise up to \u00b1" + noiseBound() + " (5% of the input's range); max-sensitivity and MPRT "
                        + "re-explain only the deterministic backward-pass methods (gradient, layer and propagation families), "
                        + "each with the parameters it ran with here.",
                "Sanity check (Adebayo et al. 2018, MPRT): pass when the mean similarity after randomising all layers is below "
                        + SANITY_THRESHOLD + " (examples whose randomised explanation is constant, where the similarity "
                        + "is undefined, are left out of the mean). The threshold is explain4j's choice, not the paper's: Adebayo et al. judge the "
                        + "fall by eye and by rank correlations; 0.5 is halfway between an unchanged explanation (1) and "
                        + "one unrelated to it (0).");
        List<EvaluationSection.Reading> readings = List.of(
                new EvaluationSection.Reading("deletion AUC", "Lower is better: the prediction (the class's probability) "
                        + "falls fastest when the pixels this method ranks first are removed (set to 0). Area under that curve, "
                        + "from 1 (never falls) to 0."),
                new EvaluationSection.Reading("insertion AUC", "Higher is better: the prediction comes back fastest when the "
                        + "pixels this method ranks first are restored into a blurred copy of the input."),
                new EvaluationSection.Reading("faithfulness correlation", "Higher is better, at most 1: over random groups "
                        + "of pixels, the more attribution a group holds, the more the prediction drops when the group is "
                        + "removed (Pearson correlation, Bhatt et al. 2020)."),
                new EvaluationSection.Reading("max-sensitivity", "Lower is better: the largest change of the explanation, "
                        + "relative to its size, when the input gets a little noise; 0 means the explanation does not move."),
                new EvaluationSection.Reading("MPRT similarity", "Lower is better: rank similarity (Spearman) between the "
                        + "explanation and the same method's explanation of the model with every layer's weights randomised "
                        + "(top-down cascade). An explanation that stays similar shows the input, not what the model learned."),
                new EvaluationSection.Reading("sparseness", "Higher means fewer pixels hold most of the attribution (Gini "
                        + "index, 0 = spread evenly, 1 = one pixel): easier to read, which says nothing about being right."),
                new EvaluationSection.Reading("sanity check", "pass: randomising the model's weights changes the "
                        + "explanation (mean MPRT similarity below " + SANITY_THRESHOLD + "); fail: it does not, so the "
                        + "explanation cannot be trusted to reflect the model."));
        return new EvaluationSection(intro, COLUMNS, rows, figures, readings, details, notes);
    }

    private List<Figure> charts(List<MethodScores> all) {
        List<Figure> figs = new ArrayList<>();
        for (String metric : List.of(DELETION, INSERTION)) {
            List<LineChart.Series> series = new ArrayList<>();
            for (MethodScores m : all) {
                Result r = m.results.get(metric);
                if (r != null && r.scores().curves().isPresent()) {
                    double[] y = columnMeans(new Scores(metric, r.scores().curves().get(), Map.of(), Optional.empty(),
                            Optional.empty(), 0));
                    double[] xs = new double[y.length];
                    for (int i = 0; i < xs.length; i++) {
                        xs[i] = (double) i / (xs.length - 1);
                    }
                    series.add(new LineChart.Series(m.done.method(), xs, y));
                }
            }
            if (!series.isEmpty()) {
                boolean del = metric.equals(DELETION);
                LineChart c = LineChart.of(del ? "Deletion: most important features removed first"
                                : "Insertion: most important features restored first",
                        "mean over the examples of the explained class's probability; " + (del ? "a faster fall is better"
                                : "a faster rise is better"),
                        del ? "share of features removed" : "share of features restored", "probability", series, List.of());
                java.awt.image.BufferedImage img = c.render();
                org.explain4j.viz.Pictures.writePng(img, out.resolve("evaluation-" + metric + ".png"));
                figs.add(Figure.of(img, metric + " curves, one line per method"));
            }
        }
        List<LineChart.Series> mprt = new ArrayList<>();
        for (MethodScores m : all) {
            Result r = m.results.get(MPRT);
            if (r != null) {
                double[] y = columnMeans(r.scores());
                double[] xs = new double[y.length];
                for (int i = 0; i < xs.length; i++) {
                    xs[i] = i;
                }
                mprt.add(new LineChart.Series(m.done.method(), xs, y));
            }
        }
        if (!mprt.isEmpty()) {
            List<String> ticks = new ArrayList<>(List.of("original"));
            List<String> topDown = new ArrayList<>(layers);
            java.util.Collections.reverse(topDown);
            for (String l : topDown) {
                ticks.add((ticks.size() == 1 ? "" : "+") + shortName(l));
            }
            LineChart c = LineChart.of("Model parameter randomisation (Adebayo et al. 2018)",
                    "mean Spearman similarity to the original explanation; a method that reflects the model falls",
                    "layers randomised (top-down)", "rank similarity", mprt, ticks);
            java.awt.image.BufferedImage img = c.render();
            org.explain4j.viz.Pictures.writePng(img, out.resolve("evaluation-mprt.png"));
            figs.add(Figure.of(img, "MPRT: similarity as layers are randomised, one line per method"));
        }
        return figs;
    }

    /** A layer's node name without the op part: {@code /conv1/Conv} is {@code conv1}. */
    static String shortName(String node) {
        String[] parts = node.split("/");
        for (String p : parts) {
            if (!p.isEmpty()) {
                return p;
            }
        }
        return node;
    }

    // ---- evaluation.json ----

    private void writeJson(List<MethodScores> all) {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("format", FORMAT);
        root.put("explain4j", Version.get());
        ObjectNode m = root.putObject("model");
        m.put("name", model.info().name());
        m.put("sha256", model.info().sha256());
        root.put("input", inputFile.getFileName().toString());
        ArrayNode t = root.putArray("targets");
        for (int v : targets) {
            t.add(v);
        }
        ObjectNode ranking = root.putObject("ranking");
        ranking.put("rule", "mean of the per-metric ranks (1 = best, ties averaged) over the ranked metrics");
        ArrayNode rm = ranking.putArray("metrics");
        RANKED.forEach((k, higher) -> rm.addObject().put("metric", k).put("higher_is_better", higher));
        ArrayNode order = ranking.putArray("order");
        ordered(all).stream().filter(s -> !Double.isNaN(s.rank)).forEach(s -> order.add(s.done.method()));
        ObjectNode sanity = root.putObject("sanity");
        sanity.put("metric", MPRT);
        sanity.put("threshold", SANITY_THRESHOLD);
        sanity.put("rule", "pass when the mean over examples of the MPRT similarity after randomising every layer "
                + "(top-down) is below the threshold");
        ArrayNode layerNames = sanity.putArray("layers_top_down");
        List<String> topDown = new ArrayList<>(layers);
        java.util.Collections.reverse(topDown);
        topDown.forEach(layerNames::add);
        ArrayNode methods = root.putArray("methods");
        for (MethodScores s : all) {
            ObjectNode o = methods.addObject();
            o.put("method", s.done.method());
            o.put("attribution", s.done.file().getFileName().toString());
            if (Double.isNaN(s.rank)) {
                o.putNull("rank");
            } else {
                o.put("rank", s.rank);
            }
            s.verdict().ifPresentOrElse(v -> o.put("sanity", v), () -> o.putNull("sanity"));
            ObjectNode metrics = o.putObject("metrics");
            s.results.forEach((name, r) -> {
                ObjectNode mo = metrics.putObject(name);
                try {
                    ObjectNode doc = (ObjectNode) MAPPER.readTree(MetricJson.result(r.scores(), model.info(), targets));
                    mo.set("parameters", doc.get("parameters"));
                    mo.set("seed", doc.get("seed"));
                    mo.set("scores", doc.get("scores"));
                    if (doc.has("curves")) {
                        mo.set("curves", doc.get("curves"));
                    }
                    mo.put("model_evaluations", r.scores().modelEvaluations());
                } catch (IOException e) {
                    throw new IllegalStateException("cannot re-read the metric's JSON", e);
                }
                if (Double.isNaN(r.mean())) {
                    mo.putNull("mean");
                } else {
                    mo.put("mean", r.mean());
                }
                mo.put("command", command(s, name, r));
            });
            ObjectNode nc = o.putObject("not_computed");
            new TreeMap<>(s.notComputed).forEach(nc::put);
        }
        try {
            Files.writeString(out.resolve("evaluation.json"), MAPPER.writeValueAsString(root) + "\n");
        } catch (IOException e) {
            throw Explain4jException.file("--out", "cannot write " + out.resolve("evaluation.json") + ": " + e.getMessage(), e);
        }
    }

    /** The explain4j evaluate command that computes the same scores (the method flags only where evaluate has them). */
    private String command(MethodScores s, String metric, Result r) {
        List<String> args = new ArrayList<>(List.of("explain4j", "evaluate", "--model", modelPath.toString(), "--input",
                inputFile.toString(), "--attribution", s.done.file().toString(), "--metric",
                metric, "--target", join(targets)));
        if (MetricCatalog.get(metric).reExplains()) {
            args.add("--method");
            args.add(s.done.method());
            for (String k : List.of("steps", "integration", "baseline")) {
                String v = s.done.params().get(k);
                if (v != null) {
                    args.add("--" + k);
                    args.add(v);
                }
            }
        }
        r.flags().forEach((k, v) -> {
            args.add("--" + k);
            args.add(v);
        });
        args.add("--output");
        args.add(out.resolve(metric + "." + s.done.method() + ".npy").toString());
        return String.join(" ", args);
    }

    private static String join(int[] v) {
        StringBuilder b = new StringBuilder();
        for (int i : v) {
            b.append(b.length() == 0 ? "" : ",").append(i);
        }
        return b.toString();
    }

    /**
     * The model for MPRT, used by every method: each method's MPRT makes its randomised copies
     * (one per layer step) and closes each as soon as its explanation is taken, the next copy's
     * session being compiled on a helper thread meanwhile ({@code Mprt}); the layers' random
     * draws are kept by the model from one copy to the next. Keeping every copy for all methods
     * would save a session per copy only for methods that share a backward graph, at the price
     * of all the copies' sessions held at once (a few GB for a large model).
     */
    static final class SharedRandomisation implements org.explain4j.core.grad.DifferentiableModel,
            org.explain4j.core.metrics.Randomisable {
        private final ModelLoader.Loaded model;

        SharedRandomisation(ModelLoader.Loaded model) {
            this.model = model;
        }

        @Override
        public List<String> layers() {
            try {
                return model.layers();
            } catch (Explain4jException e) {
                return List.of();
            }
        }

        @Override
        public Model randomised(List<String> names, long seed) {
            return model.randomised(names, seed);
        }

        @Override
        public void prepareLike(Model next, Model previous) throws InterruptedException {
            model.prepareLike(next, previous);
        }

        @Override
        public Series series(long seed) {
            return model.series(seed);
        }

        @Override
        public Tensor forward(Tensor input) {
            return model.forward(input);
        }

        @Override
        public org.explain4j.core.grad.BackwardResult backward(Tensor input, Tensor seed,
                                                               org.explain4j.core.grad.BackwardRequest request) {
            return model.backward(input, seed, request);
        }

        @Override
        public org.explain4j.core.model.ModelSignature signature() {
            return model.signature();
        }

        @Override
        public org.explain4j.core.model.ModelInfo info() {
            return model.info();
        }

        /** Nothing to close: every copy is closed by the metric that made it; the model is the caller's. */
        @Override
        public void close() {
        }
    }
}
