package org.explain4j.cli;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.Callable;
import org.explain4j.core.Attribution;
import org.explain4j.core.Baseline;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.FeatureMask;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.engine.EvaluationEngine;
import org.explain4j.core.engine.ProgressListener;
import org.explain4j.core.io.AttributionJson;
import org.explain4j.core.io.Npy;
import org.explain4j.core.method.AttributionMethod;
import org.explain4j.core.model.Model;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code explain4j attribute}: one method, one model, one input batch, one output file. */
@Command(name = "attribute", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Computes attributions of a model's output for a batch of inputs.",
        footer = {"", "Example:",
                "  explain4j attribute --model m.onnx --input x.npy --method occlusion --window 1,3,3 --target 0 --output a.npy"})
public final class AttributeCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "M.onnx", description = "ONNX model file (never modified).")
    Path model;

    @Option(names = "--input", required = true, paramLabel = "X.npy", description = "Input batch, shape (N, ...), as .npy.")
    Path input;

    @Option(names = "--method", required = true, paramLabel = "METHOD", description = "Attribution method (see below).")
    String method;

    @Option(names = "--output", required = true, paramLabel = "OUT", description = "Where to write the result.")
    Path output;

    @Option(names = "--target", paramLabel = "T", description = "Class index for all examples (3), one per example (0,1,2), or weights:w0,w1,... (default 0).")
    String target;

    @Option(names = "--baseline", paramLabel = "B", description = "zeros, a number, or an .npy file of shape (1, ...), (N, ...) or (K, ...).")
    String baseline;

    @Option(names = "--feature-mask", paramLabel = "MASK.npy", description = "Integer group id per element, shape (1, ...); each group is one feature.")
    Path featureMask;

    @Option(names = "--window", paramLabel = "W", description = "Occlusion window over one example's dimensions, e.g. 1,3,3.")
    String window;

    @Option(names = "--stride", paramLabel = "S", description = "Occlusion stride, e.g. 1,1,1 (default 1).")
    String stride;

    @Option(names = "--samples", paramLabel = "N", description = "Sampling budget of stochastic methods.")
    Integer samples;

    @Option(names = "--seed", paramLabel = "SEED", description = "Seed of stochastic methods (same seed, same result).")
    Long seed;

    @Option(names = "--batch-size", paramLabel = "B", description = "Most examples per model call (default ${DEFAULT-VALUE}).")
    int batchSize = EvaluationEngine.DEFAULT_BATCH_SIZE;

    @Option(names = "--format", paramLabel = "FMT", description = "npy (the values) or json (the versioned result document); default npy.")
    String format = "npy";

    @Option(names = "--steps", paramLabel = "N", description = "Path integral steps.")
    Integer steps;

    @Option(names = "--integration", paramLabel = "RULE", description = "gausslegendre, riemann_left, riemann_right, riemann_middle, riemann_trapezoid.")
    String integration;

    @Option(names = "--layer", paramLabel = "NAME", description = "ONNX tensor name of an intermediate value.")
    String layer;

    @Option(names = "--relu", paramLabel = "BOOL", description = "Grad-CAM: apply ReLU to the map.")
    String relu;

    @Option(names = "--composite", paramLabel = "NAME", description = "LRP composite.")
    String composite;

    @Option(names = "--epsilon", paramLabel = "E", description = "LRP epsilon.")
    Double epsilon;

    @Option(names = "--low", paramLabel = "L", description = "LRP z^B lower input bound.")
    Double low;

    @Option(names = "--high", paramLabel = "H", description = "LRP z^B upper input bound.")
    Double high;

    @Option(names = "--abs", paramLabel = "BOOL", description = "Saliency: absolute value of the gradient (default true).")
    String abs;

    @Option(names = "--noise-std", paramLabel = "S", description = "SmoothGrad / GradientSHAP noise standard deviation.")
    Double noiseStd;

    @Option(names = "--noise-type", paramLabel = "T", description = "Noise tunnel: smoothgrad, smoothgrad_sq or vargrad.")
    String noiseType;

    @Option(names = "--inner", paramLabel = "METHOD", description = "Noise tunnel: the gradient method to smooth.")
    String inner;

    @Option(names = "--exact", paramLabel = "MODE", description = "Shapley sampling: auto, always or never exact enumeration.")
    String exact;

    @Option(names = "--kernel-width", paramLabel = "W", description = "LIME proximity kernel width (default 0.25).")
    Double kernelWidth;

    @Option(names = "--surrogate", paramLabel = "S", description = "LIME surrogate: ridge or lasso.")
    String surrogate;

    @Option(names = "--alpha", paramLabel = "A", description = "LIME surrogate regularisation (default 1 for ridge, 0.01 for lasso).")
    Double alpha;

    @Option(names = "--upsample", paramLabel = "MODE", description = "Guided Grad-CAM: nearest (default, as Captum) or bilinear.")
    String upsample;

    @Option(names = "--threads", paramLabel = "N", description = "ONNX Runtime intra-op threads (0: its default).")
    int threads;

    @Option(names = "--input-name", paramLabel = "NAME", description = "The model input to explain (default: its first).")
    String inputName;

    @Option(names = "--output-name", paramLabel = "NAME", description = "The model output to explain (default: its first).")
    String outputName;

    @Option(names = "--quiet", description = "No progress bar.")
    boolean quiet;

    @Option(names = "--verbose", description = "Stack traces with errors.")
    boolean verbose;

    @Override
    public Integer call() {
        String fmt = format.toLowerCase(Locale.ROOT);
        if (!fmt.equals("npy") && !fmt.equals("json")) {
            throw Explain4jException.usage("--format", "--format '" + format + "' must be npy or json");
        }
        if (!Methods.names().contains(method)) {
            throw Explain4jException.usage("--method", "unknown method '" + method + "'; choose one of "
                    + String.join(", ", Methods.names()));
        }
        Tensor x = Npy.read(input, "--input");
        ProgressListener progress = quiet ? ProgressListener.NONE : new ConsoleProgress(2_000);
        try (Model m = ModelLoader.load(model, threads, inputName, outputName)) {
            Flags flags = flagsFor(x);
            AttributionMethod am = Methods.create(method, m, flags, progress);
            Target t = target == null ? Target.classIndex(0) : Parse.target(target);
            Attribution a = am.attribute(x, t);
            if (fmt.equals("json")) {
                AttributionJson.write(a, output);
            } else {
                Npy.write(a.values(), output);
            }
            spec.commandLine().getOut().println(output);
        }
        return 0;
    }

    Flags flagsFor(Tensor x) {
        Set<String> given = new HashSet<>();
        for (CommandLine.Model.OptionSpec o : spec.commandLine().getParseResult().matchedOptions()) {
            given.add(o.longestName());
        }
        boolean distribution = method.equals("deeplift-shap") || method.equals("gradient-shap");
        Optional<Baseline> b = baseline == null ? Optional.empty() : Optional.of(Parse.baseline(baseline, x, distribution));
        FeatureMask mask = featureMask == null ? FeatureMask.elementwise() : FeatureMask.of(Npy.read(featureMask, "--feature-mask"));
        return new Flags(given, b, mask,
                Optional.ofNullable(window).map(w -> Parse.ints("--window", w)),
                Optional.ofNullable(stride).map(s -> Parse.ints("--stride", s)),
                samples == null ? OptionalInt.empty() : OptionalInt.of(samples),
                seed == null ? OptionalLong.empty() : OptionalLong.of(seed), batchSize,
                steps == null ? OptionalInt.empty() : OptionalInt.of(steps),
                Optional.ofNullable(integration), Optional.ofNullable(layer),
                Optional.ofNullable(relu).map(r -> Parse.bool("--relu", r)), Optional.ofNullable(composite),
                opt(epsilon), opt(low), opt(high), Optional.ofNullable(abs).map(v -> Parse.bool("--abs", v)),
                opt(noiseStd), Optional.ofNullable(noiseType), Optional.ofNullable(inner), Optional.ofNullable(exact),
                opt(kernelWidth), Optional.ofNullable(surrogate), opt(alpha), Optional.ofNullable(upsample));
    }

    private static OptionalDouble opt(Double d) {
        if (d != null && !Double.isFinite(d)) {
            throw Explain4jException.usage("option", "numeric options must be finite");
        }
        return d == null ? OptionalDouble.empty() : OptionalDouble.of(d);
    }
}
