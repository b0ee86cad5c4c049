package org.explain4j.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.explain4j.core.Attribution;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.engine.ProgressListener;
import org.explain4j.core.engine.EvaluationEngine;
import org.explain4j.core.io.AttributionJson;
import org.explain4j.core.model.FedInputs;
import org.explain4j.core.io.Npy;
import org.explain4j.core.catalog.MethodCatalog;
import org.explain4j.core.catalog.MethodSpec;
import org.explain4j.core.catalog.Params;
import org.explain4j.core.method.AttributionMethod;
import org.explain4j.viz.BarChartOptions;
import org.explain4j.viz.ExplanationGrid;
import org.explain4j.viz.FeatureBarChart;
import org.explain4j.viz.Figure;
import org.explain4j.viz.GridOptions;
import org.explain4j.viz.GridPicture;
import org.explain4j.viz.HeatmapOptions;
import org.explain4j.viz.HighlightedText;
import org.explain4j.viz.ScaleSharing;
import org.explain4j.viz.SignMode;
import org.explain4j.viz.SubwordScheme;
import org.explain4j.viz.HtmlReport;
import org.explain4j.viz.MethodSection;
import org.explain4j.viz.Prediction;
import org.explain4j.viz.TextOptions;
import org.explain4j.viz.TopPredictions;

/**
 * What {@code explain} and {@code demo} share: run a list of methods on one model and input,
 * write each result (.npy, .json, picture), and assemble the self-contained HTML report with the
 * command that reproduces each result.
 */
final class Explainer {
    /** One method run: its name and its parameters as text by catalogue name (flags without the dashes). */
    record Run(String method, Map<String, String> params) {
    }

    private final ModelLoader.Loaded model;
    private final Path modelPath;
    private final ExplainInput input;
    private final Path inputFile;
    private final List<String> labels;
    private final Path out;
    private final boolean quiet;
    private GridOptions grid;
    private FedInputs fed = FedInputs.none();
    private List<String> fedArgs = List.of();
    private boolean evaluate;
    private boolean methodsNamed;
    private boolean targetsGiven;

    Explainer(ModelLoader.Loaded model, Path modelPath, ExplainInput input, Path inputFile, List<String> labels, Path out,
              boolean quiet) {
        this.model = model;
        this.modelPath = modelPath;
        this.input = input;
        this.inputFile = inputFile;
        this.labels = labels;
        this.out = out;
        this.quiet = quiet;
        this.grid = GridOptions.defaults().withCellSize(input.batch().rank() >= 3 && input.batch().dim(input.batch().rank() - 1) <= 32
                ? 128 : 160);
    }

    /** How heatmaps are drawn: colour mode, overlay on the input, scale shared down each method's column. */
    Explainer withPictures(String mode, boolean overlay, boolean sharedScale) {
        SignMode m = switch (mode == null ? "signed" : mode) {
            case "signed" -> SignMode.SIGNED;
            case "absolute" -> SignMode.ABSOLUTE;
            case "positive" -> SignMode.POSITIVE;
            case "negative" -> SignMode.NEGATIVE;
            default -> throw Explain4jException.usage("--heatmap", "--heatmap '" + mode
                    + "' must be signed, absolute, positive or negative");
        };
        HeatmapOptions h = grid.heatmap().withMode(m).withSharing(sharedScale ? ScaleSharing.SHARED : ScaleSharing.PER_IMAGE);
        grid = grid.withHeatmap(h).withStyle(overlay ? GridOptions.CellStyle.OVERLAY : GridOptions.CellStyle.HEATMAP);
        return this;
    }

    /** The model's other inputs, fed as given, and the arguments that give them on a command line. */
    Explainer withFed(FedInputs f, List<String> args) {
        this.fed = f;
        this.fedArgs = List.copyOf(args);
        return this;
    }

    /**
     * Whether the user named the methods (then a method refusing the user's arguments stops the run)
     * and whether the user named the targets (then the report says so instead of "the predicted class").
     */
    Explainer withRequested(boolean methodsNamed, boolean targetsGiven) {
        this.methodsNamed = methodsNamed;
        this.targetsGiven = targetsGiven;
        return this;
    }

    /** Adds the "Which explanation to trust?" section (metrics of every method) and evaluation.json. */
    Explainer withEvaluation(boolean on) {
        this.evaluate = on;
        return this;
    }

    /** The model's outputs on {@code x} with the other inputs {@code fed} (each example its own slice). */
    static Tensor forward(ModelLoader.Loaded model, Tensor x, FedInputs fed) {
        var bound = fed.bind(model.signature(), x.batchSize(), "input");
        return new EvaluationEngine(model, Math.max(1, x.batchSize()), ProgressListener.NONE, bound).forward(x);
    }

    /** The class names, or indices where none are given. */
    String label(int c) {
        return c < labels.size() ? labels.get(c) : "class " + c;
    }

    /**
     * Runs every method, writes the files and the report; prints one line per method. {@code logits}
     * are the model's outputs on the input with the fed inputs ({@link #forward}), which the caller
     * already computed to choose or check the targets: the report's probabilities come from the same
     * forward pass instead of a second one.
     */
    Path explain(List<Run> runs, Target target, int[] targets, Tensor logits, PrintWriter log) {
        Tensor x = input.batch();
        if (logits.rank() != 2 || logits.dim(0) != x.batchSize() || targets.length != x.batchSize()) {
            throw new Explain4jException(org.explain4j.core.ErrorKind.INTERNAL, "logits", "internal error: the report "
                    + "was handed logits of shape " + Tensor.shapeString(logits.shape()) + " and " + targets.length
                    + " targets for an input of " + x.batchSize() + " examples; they must be the forward pass on that "
                    + "input (one row and one target per example)");
        }
        double[][] probs = probabilities(logits);
        List<Attribution> done = new ArrayList<>();
        List<Explain4jException> skipped = new ArrayList<>();
        List<Evaluation.Done> scored = new ArrayList<>();
        List<String> commands = new ArrayList<>();
        Map<String, Figure> figures = new LinkedHashMap<>();
        List<String> rowLabels = new ArrayList<>();
        for (int n = 0; n < x.batchSize(); n++) {
            rowLabels.add("#" + n + (targetsGiven ? " target: " : " pred: ") + label(targets[n]) + String.format(" (p=%.2f)", probs[n][targets[n]]));
        }
        log.printf("%-28s %12s %10s %12s%n", "method", "model evals", "ms", "max |gap|");
        for (Run r : runs) {
            // 1. Run the method exactly as the command line would.
            List<String> args = new ArrayList<>(List.of("--model", modelPath.toString(), "--input", inputFile.toString(),
                    "--method", r.method(), "--output", out.resolve(r.method() + ".npy").toString()));
            args.addAll(fedArgs);
            args.addAll(MethodOptions.args(r.params()));
            MethodSpec spec = MethodCatalog.get(r.method());
            Attribution a;
            try {
                Params params = spec.bind(MethodOptions.typed(spec, r.params(), x));
                AttributionMethod method = spec.create(model, params, quiet ? ProgressListener.NONE : new ConsoleProgress(5_000));
                a = method.attribute(x, fed, target);
            } catch (Explain4jException e) {
                if (stops(e)) {
                    throw e;
                }
                log.printf("%-28s skipped: %s%n", r.method(), Main.oneLine(e.getMessage()));
                skipped.add(e);
                continue;
            }
            // 2. Write the values, the JSON result and the picture.
            Npy.write(a.values(), out.resolve(r.method() + ".npy"));
            AttributionJson.write(a, out.resolve(r.method() + ".json"));
            Figure fig = picture(r.method(), a, rowLabels);
            figures.put(r.method(), fig);
            done.add(a);
            scored.add(new Evaluation.Done(r.method(), r.params(), a, out.resolve(r.method() + ".npy")));
            commands.add("explain4j attribute " + Shell.join(args) + " --target " + join(targets));
            log.printf("%-28s %12d %10.1f %12s%n", r.method(), a.diagnostics().modelEvaluations(),
                    a.diagnostics().elapsed().toNanos() / 1e6, a.diagnostics().completenessGap().map(Explainer::maxAbs).orElse("-"));
        }
        if (done.isEmpty() && !skipped.isEmpty()) {
            // every method failed: nothing to report, the first reason is the error
            throw skipped.get(0);
        }
        // 3. The report: overview grid, predictions, one section per method.
        HtmlReport.Builder report = HtmlReport.builder("explain4j report: " + modelPath.getFileName())
                .model(model.info().name(), model.info().sha256())
                .inputSummary(inputFile.getFileName() + ": " + x.describe() + " (" + input.kind().name().toLowerCase()
                        + "), target " + (targetsGiven ? "as given by --target: " + describeGiven(targets)
                        : target instanceof Target.PerExample ? "the predicted class of each example" : describe(target)));
        for (int n = 0; n < x.batchSize(); n++) {
            report.addPredictions(new TopPredictions("#" + n, top(probs[n], 3)));
        }
        if (input.kind() == ExplainInput.Kind.IMAGE && !done.isEmpty()) {
            GridPicture overview = ExplanationGrid.of(input.display(), done, rowLabels, grid);
            overview.writePng(out.resolve("overview.png"));
            report.overview(Figure.of(overview, "all methods side by side"));
        }
        if (evaluate) {
            report.evaluation(new Evaluation(model, modelPath, x, inputFile, targets, out, !fed.isEmpty()).run(scored, log));
        }
        List<String> names = new ArrayList<>(figures.keySet());
        for (int i = 0; i < done.size(); i++) {
            Attribution a = done.get(i);
            String name = names.get(i);
            report.addSection(new MethodSection(name, MethodCatalog.get(name).description(), figures.get(name), a,
                    commands.get(i)));
        }
        Path html = out.resolve("report.html");
        report.build().write(html);
        return html;
    }

    private Figure picture(String name, Attribution a, List<String> rowLabels) {
        switch (input.kind()) {
            case IMAGE -> {
                GridPicture g = ExplanationGrid.of(input.display(), List.of(a), rowLabels, grid);
                g.writePng(out.resolve(name + ".png"));
                return Figure.of(g, name + " heatmaps");
            }
            case TABULAR -> {
                double[] v = a.values().example(0).toDoubleArray();
                List<String> names = v.length == input.featureNames().size() ? input.featureNames() : indexNames(v.length);
                FeatureBarChart chart = FeatureBarChart.of(names, v, BarChartOptions.defaults()
                        .withTitle(name + ", example #0").withTopK(Math.min(20, v.length)));
                chart.writePng(out.resolve(name + ".png"));
                chart.writeSvg(out.resolve(name + ".svg"));
                return Figure.of(chart, name + " feature attributions");
            }
            default -> {
                double[] v = a.values().example(0).toDoubleArray();
                List<String> tokens = input.tokens().get(0);
                TextOptions opts = TextOptions.defaults().withScheme(scheme(tokens));
                HighlightedText t = v.length == tokens.size()
                        ? HighlightedText.of(tokens, v, opts)
                        : HighlightedText.of(a, 0, tokens, opts);
                t.writeHtml(out.resolve(name + ".html"), name);
                return Figure.of(t);
            }
        }
    }

    /** WordPiece when tokens carry "##" continuations, SentencePiece when they carry the "▁" word mark. */
    static SubwordScheme scheme(List<String> tokens) {
        if (tokens.stream().anyMatch(t -> t.startsWith("##"))) {
            return SubwordScheme.WORDPIECE;
        }
        if (tokens.stream().anyMatch(t -> t.startsWith("\u2581"))) {
            return SubwordScheme.SENTENCEPIECE;
        }
        return SubwordScheme.NONE;
    }

    private static List<String> indexNames(int n) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add("x" + i);
        }
        return out;
    }

    private List<Prediction> top(double[] p, int k) {
        List<Prediction> out = new ArrayList<>();
        for (int c : Ranks.top(p, k)) {
            out.add(new Prediction(label(c), p[c]));
        }
        return out;
    }

    /** Rows already summing to 1 in [0, 1] are taken as probabilities; otherwise softmax. */
    static double[][] probabilities(Tensor logits) {
        int n = logits.dim(0);
        int c = logits.dim(1);
        double[][] p = new double[n][c];
        for (int i = 0; i < n; i++) {
            double sum = 0;
            boolean unit = true;
            double max = Double.NEGATIVE_INFINITY;
            for (int k = 0; k < c; k++) {
                double v = logits.getDouble(i * c + k);
                unit &= v >= 0 && v <= 1;
                sum += v;
                max = Math.max(max, v);
            }
            boolean already = unit && Math.abs(sum - 1) < 1e-3 && c > 1;
            double z = 0;
            for (int k = 0; k < c; k++) {
                p[i][k] = already ? logits.getDouble(i * c + k) : Math.exp(logits.getDouble(i * c + k) - max);
                z += p[i][k];
            }
            for (int k = 0; k < c; k++) {
                p[i][k] /= z;
            }
        }
        return p;
    }

    /**
     * Whether a method's refusal ends the run instead of being reported as skipped: a non-finite
     * input or model output and bad targets always (every method would meet them); a method's own
     * non-finite attribution (argument {@code attribution}: its gradient overflowed, say) and the
     * user's own arguments only when the user named the methods, otherwise that method is skipped.
     */
    private boolean stops(Explain4jException e) {
        return stops(e, methodsNamed);
    }

    /** {@link #stops(Explain4jException)} for a run whose methods were ({@code methodsNamed}) or were not named by the user. */
    static boolean stops(Explain4jException e, boolean methodsNamed) {
        return switch (e.kind()) {
            case NON_FINITE -> methodsNamed || !"attribution".equals(e.argument());
            case TARGET -> true;
            case USAGE, SHAPE -> methodsNamed;
            default -> false;
        };
    }

    /** "class 3" when every example has the same target, else each example's class. */
    private String describeGiven(int[] targets) {
        boolean same = java.util.Arrays.stream(targets).allMatch(t -> t == targets[0]);
        if (same) {
            return label(targets[0]);
        }
        StringBuilder b = new StringBuilder();
        for (int n = 0; n < targets.length; n++) {
            b.append(n == 0 ? "" : ", ").append("#").append(n).append(" ").append(label(targets[n]));
        }
        return b.toString();
    }

    private static String describe(Target t) {
        return t instanceof Target.ClassIndex c ? "class " + c.index() : t.toString();
    }

    private static String join(int[] v) {
        StringBuilder b = new StringBuilder();
        for (int x : v) {
            b.append(b.length() == 0 ? "" : ",").append(x);
        }
        return b.toString();
    }

    private static String maxAbs(double[] v) {
        double m = 0;
        for (double d : v) {
            m = Math.max(m, Math.abs(d));
        }
        return String.format("%.2e", m);
    }
}
