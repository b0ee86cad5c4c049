package org.explain4j.core.method;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.explain4j.core.Attribution;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.engine.EvaluationEngine;
import org.explain4j.core.engine.ProgressListener;
import org.explain4j.core.grad.DifferentiableModel;
import org.explain4j.core.grad.RuleSet;

/**
 * Gradient methods with one backward pass per example, differing only in what they make of
 * the gradient {@code g = d target / d x} (or of a modified backward pass under a rule set):
 * <ul>
 *   <li>{@code saliency} (Simonyan, Vedaldi and Zisserman, 2014, "Deep Inside Convolutional
 *       Networks"): {@code |g|}, or {@code g} with {@code abs = false};</li>
 *   <li>{@code input-x-gradient} (Shrikumar et al., 2016): {@code x * g};</li>
 *   <li>{@code guided-backprop}, {@code deconvolution}: {@code g} under their rule sets.</li>
 * </ul>
 */
public final class Saliency implements AttributionMethod {
    /** What is made of the gradient. */
    public enum Kind {
        SALIENCY("saliency"), INPUT_X_GRADIENT("input-x-gradient"), GRADIENT("gradient");

        private final String label;

        Kind(String label) {
            this.label = label;
        }
    }

    /** Options; {@code name} overrides the reported method name (e.g. for rule-set variants). */
    public record Options(Kind kind, boolean abs, RuleSet rules, String name, int batchSize) {
        public Options {
            if (kind == null || rules == null || name == null) {
                throw new IllegalArgumentException("kind, rules and name are required");
            }
            if (batchSize < 1) {
                throw Explain4jException.usage("--batch-size", "--batch-size must be at least 1 (got " + batchSize + ")");
            }
        }

        /** Absolute gradient, as Captum's default. */
        public static Options saliency() {
            return new Options(Kind.SALIENCY, true, RuleSet.gradient(), Kind.SALIENCY.label, EvaluationEngine.DEFAULT_BATCH_SIZE);
        }

        /** Input times gradient. */
        public static Options inputXGradient() {
            return new Options(Kind.INPUT_X_GRADIENT, false, RuleSet.gradient(), Kind.INPUT_X_GRADIENT.label,
                    EvaluationEngine.DEFAULT_BATCH_SIZE);
        }

        /** The raw result of the backward pass under {@code rules}, reported as {@code name}. */
        public static Options backward(String name, RuleSet rules) {
            return new Options(Kind.GRADIENT, false, rules, name, EvaluationEngine.DEFAULT_BATCH_SIZE);
        }

        public Options withAbs(boolean a) {
            return new Options(kind, a, rules, name, batchSize);
        }

        public Options withBatchSize(int n) {
            return new Options(kind, abs, rules, name, n);
        }
    }

    private final DifferentiableModel model;
    private final Options options;
    private final ProgressListener progress;

    public Saliency(DifferentiableModel model, Options options, ProgressListener progress) {
        this.model = model;
        this.options = options;
        this.progress = progress;
    }

    public Saliency(DifferentiableModel model, Options options) {
        this(model, options, ProgressListener.NONE);
    }

    @Override
    public String name() {
        return options.name();
    }

    @Override
    public Attribution attribute(Tensor input, Target target) {
        // 1. Validate and run once.
        MethodRun run = new MethodRun(model, options.batchSize(), progress, input, target);
        run.requireFloatingInput(name());
        double[][] x = InputGradients.rows(input);
        // 2. One backward pass per example.
        double[][] g = InputGradients.weightedSum(run, name(), options.rules(), input.batchSize(), r -> r,
                (r, dest) -> System.arraycopy(x[r], 0, dest, 0, dest.length), r -> 1.0);
        // 3. Post-process the gradient.
        for (int n = 0; n < g.length; n++) {
            for (int e = 0; e < g[n].length; e++) {
                g[n][e] = switch (options.kind()) {
                    case SALIENCY -> options.abs() ? Math.abs(g[n][e]) : g[n][e];
                    case INPUT_X_GRADIENT -> x[n][e] * g[n][e];
                    case GRADIENT -> g[n][e];
                };
            }
        }
        Map<String, Object> opts = new LinkedHashMap<>();
        if (options.kind() == Kind.SALIENCY) {
            opts.put("abs", options.abs());
        }
        opts.put("rules", options.rules().name());
        opts.put("batch_size", options.batchSize());
        return run.finish(name(), run.valuesOfInputShape(g), target, opts, OptionalLong.empty(), Optional.empty(),
                Optional.empty());
    }
}
