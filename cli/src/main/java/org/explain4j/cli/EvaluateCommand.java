package org.explain4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.catalog.MethodCatalog;
import org.explain4j.core.catalog.MethodSpec;
import org.explain4j.core.catalog.Params;
import org.explain4j.core.engine.BatchSize;
import org.explain4j.core.engine.EvaluationEngine;
import org.explain4j.core.engine.ProgressListener;
import org.explain4j.core.io.Npy;
import org.explain4j.core.metrics.Explainer;
import org.explain4j.core.metrics.Metric;
import org.explain4j.core.metrics.MetricCatalog;
import org.explain4j.core.metrics.MetricInput;
import org.explain4j.core.metrics.MetricJson;
import org.explain4j.core.metrics.MetricSpec;
import org.explain4j.core.metrics.Scores;
import org.explain4j.core.model.Model;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code explain4j evaluate}: one attribution-quality metric of given attributions, one score per example. */
@Command(name = "evaluate", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Scores attributions with an attribution-quality metric (explain4j metrics lists them).",
        customSynopsis = {"explain4j evaluate --model M.onnx --input X.npy --attribution A.npy",
                "    --metric NAME --target T [--mask S.npy] [--method METHOD",
                "    [--steps K --integration I --baseline zeros]] [metric flags]",
                "    [--seed S] --output SCORES [--format npy|json]"},
        footer = {"", "Examples:",
                "  explain4j evaluate --model m.onnx --input x.npy --attribution a.npy --metric pixel-flipping --target 0,1,2,3 "
                        + "--features-in-step 4 --output scores.npy",
                "  explain4j evaluate --model m.onnx --input x.npy --attribution a.npy --metric max-sensitivity --target 3 "
                        + "--method saliency --seed 4 --output scores.npy"})
public final class EvaluateCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "M.onnx", description = "ONNX model file (never modified).")
    Path model;

    @Option(names = "--input", required = true, paramLabel = "X.npy", description = "Input batch, shape (N, ...), as .npy.")
    Path input;

    @Option(names = "--attribution", required = true, paramLabel = "A.npy", description = "Attributions to score, the input's shape.")
    Path attribution;

    @Option(names = "--metric", required = true, paramLabel = "METRIC", description = "The metric (see explain4j metrics).")
    String metric;

    @Option(names = "--target", required = true, paramLabel = "T", description = "Class index for all examples (3) or one per example (0,1,2).")
    String target;

    @Option(names = "--mask", paramLabel = "S.npy", description = "Ground-truth 0/1 mask, the input's shape (localisation metrics).")
    Path mask;

    @Option(names = "--method", paramLabel = "METHOD", description = "The explanation that re-explaining metrics recompute (as explain4j attribute).")
    String method;

    @Option(names = "--steps", paramLabel = "K", description = "The method's steps (with --method).")
    String steps;

    @Option(names = "--integration", paramLabel = "NAME", description = "The method's integration rule (with --method).")
    String integration;

    @Option(names = "--baseline", paramLabel = "zeros|X|B.npy", description = "The method's baseline (with --method).")
    String baseline;

    @Option(names = "--seed", paramLabel = "S", description = "Seed of the metric's random draws: same seed, bit-identical scores.")
    Long seed;

    @Option(names = "--output", required = true, paramLabel = "SCORES", description = "Where to write the scores (float64 .npy, or JSON).")
    Path output;

    @Option(names = "--format", paramLabel = "FMT", description = "npy (the scores) or json (the versioned result document); default npy.")
    String format = "npy";

    @Option(names = "--batch-size", paramLabel = "N", description = "Most rows per model call (default 64).")
    int batchSize = EvaluationEngine.DEFAULT_BATCH_SIZE;

    @CommandLine.Mixin
    DeviceOption device = new DeviceOption();

    @Option(names = "--threads", paramLabel = "N", description = "ONNX Runtime intra-op threads (0: its default).")
    int threads;

    @Option(names = "--input-name", paramLabel = "NAME", description = "The model input (default: its first).")
    String inputName;

    @Option(names = "--output-name", paramLabel = "NAME", description = "The model output (default: its first).")
    String outputName;

    @Option(names = "--quiet", description = "No progress bar.")
    boolean quiet;

    @Option(names = "--verbose", description = "Stack traces with errors.")
    boolean verbose;

    @Override
    public Integer call() {
        try {
            return evaluate();
        } catch (Explain4jException e) {
            throw ExplainChecks.asInputName(e, inputName);
        }
    }

    private Integer evaluate() {
        String fmt = format.toLowerCase(Locale.ROOT);
        if (!fmt.equals("npy") && !fmt.equals("json")) {
            throw Explain4jException.usage("--format", "--format '" + format + "' must be npy or json");
        }
        BatchSize.check(batchSize);
        for (Map.Entry<String, Path> e : Map.of("--input", input, "--attribution", attribution, "--model", model).entrySet()) {
            AttributeCommand.refuseOverwriting(output, e.getKey(), e.getValue());
        }
        if (mask != null) {
            AttributeCommand.refuseOverwriting(output, "--mask", mask);
        }
        MetricSpec ms = MetricCatalog.get(metric);
        // Bind the metric's flags first: a flag that does not apply fails before anything is loaded.
        Map<String, Object> given = MetricOptions.typed(ms, MetricOptions.given(spec.commandLine().getParseResult()));
        if (seed != null && ms.param("seed").isPresent()) {
            given.put("seed", seed);
        } else if (seed != null && !ms.random() && method == null) {
            throw Explain4jException.usage("--seed", "--seed does not apply to " + ms.name() + ": it draws nothing at random; "
                    + "leave --seed out");
        }
        Params params = ms.bind(given);
        long runSeed = seed != null ? seed : params.values().get("seed") instanceof Long l ? l : 0L;
        Metric m = ms.factory().create(params);
        Map<String, String> methodFlags = new LinkedHashMap<>();
        if (steps != null) {
            methodFlags.put("steps", steps);
        }
        if (integration != null) {
            methodFlags.put("integration", integration);
        }
        if (baseline != null) {
            methodFlags.put("baseline", baseline);
        }
        if (method == null && !methodFlags.isEmpty()) {
            throw Explain4jException.usage("--" + methodFlags.keySet().iterator().next(), "--"
                    + methodFlags.keySet().iterator().next() + " is a flag of --method; name the method too");
        }
        if (method == null && ms.reExplains()) {
            throw Explain4jException.usage("--method", "--method is required: " + ms.name()
                    + " recomputes explanations (e.g. --method saliency)");
        }
        if (method != null && !ms.reExplains()) {
            throw Explain4jException.usage("--method", "--method does not apply to " + ms.name()
                    + ": it scores the given --attribution without recomputing explanations");
        }
        if (mask == null && ms.needsMask()) {
            throw Explain4jException.usage("--mask", "--mask is required: " + ms.name() + " compares the attribution with a "
                    + "ground-truth 0/1 mask of the input's shape");
        }
        if (mask != null && !ms.needsMask()) {
            throw Explain4jException.usage("--mask", "--mask does not apply to " + ms.name() + " (it takes no ground-truth mask)");
        }
        Tensor x = Npy.read(input, "--input");
        Tensor a = Npy.read(attribution, "--attribution");
        if (a.dtype().isFloating()) {
            a.requireFinite("--attribution");
        }
        Optional<Tensor> s = mask == null ? Optional.empty() : Optional.of(Npy.read(mask, "--mask"));
        if (x.rank() < 2) {
            throw Explain4jException.shape("--input", "--input has shape " + Tensor.shapeString(x.shape())
                    + "; pass a batch (N, ...)");
        }
        int[] targets = Targets.parse(target, x.batchSize(), "example");
        ProgressListener progress = quiet ? ProgressListener.NONE : new ConsoleProgress(2_000);
        Optional<Explainer> explainer = Optional.empty();
        if (method != null) {
            MethodSpec method = MethodCatalog.get(this.method);
            Params mp = method.bind(MethodOptions.typed(method, methodFlags, x));
            explainer = Optional.of((mdl, in, t) -> method.create(mdl, mp, ProgressListener.NONE)
                    .attribute(in, Target.of(t)).values());
        }
        try (ModelLoader.Loaded mdl = ModelLoader.load(model, threads, device.value(), inputName, outputName)) {
            org.explain4j.core.Timeline.mark("evaluate: model loaded");
            // The metric call's window (bench/scripts/mprt6_compare.sh, docs/NOTES.md "MPRT, sixth
            // round"): after the process start, the arrays read and the model file loaded and parsed
            // (what a Python benchmark does before it calls its metric), up to the scores in memory;
            // everything the metric makes lazily (backward graphs, sessions) falls inside it.
            org.explain4j.core.Timeline.mark("metric call: start");
            mdl.signature().validate(x, "--input");
            TokenIds.check(mdl.onnx(), mdl.signature().inputName(), x, "--input");
            requireTargetsInRange(mdl, x, targets);
            Scores scores = m.evaluate(new MetricInput(mdl, x, a, targets, s, explainer, runSeed, batchSize, progress));
            org.explain4j.core.Timeline.mark("metric call: end");
            org.explain4j.core.Timeline.mark("evaluate: metric done");
            if (fmt.equals("json")) {
                try {
                    Files.writeString(output, MetricJson.result(scores, mdl.info(), targets));
                } catch (java.io.IOException e) {
                    throw Explain4jException.file("--output", "cannot write --output " + output + ": " + e.getMessage(), e);
                }
            } else {
                Npy.write(scores.values().to(org.explain4j.core.DType.FLOAT64), output);
            }
            spec.commandLine().getOut().println(output);
        }
        return 0;
    }

    /**
     * Refuses a target beyond the model's outputs before any metric runs (a metric that never calls
     * the model would otherwise accept it). The number of outputs is the declared one, else that of
     * one forward pass on the first example.
     */
    static void requireTargetsInRange(Model mdl, Tensor x, int[] targets) {
        int classes = mdl.signature().outputSize();
        if (classes < 0) {
            // only counted: no column is checked for NaN or infinity (masked logits)
            classes = new org.explain4j.core.engine.EvaluationEngine(mdl, 1)
                    .explaining(org.explain4j.core.model.ModelOutputs.NONE).forward(x.slice(0, 1)).dim(1);
        }
        Targets.requireInRange(targets, classes);
    }
}
