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
import org.explain4j.core.grad.PropagationRules;
import org.explain4j.core.grad.RuleSet;

/**
 * Layer-wise relevance propagation (Bach et al., 2015, "On Pixel-Wise Explanations for
 * Non-Linear Classifier Decisions by Layer-Wise Relevance Propagation"; Montavon et al., 2019,
 * "Layer-Wise Relevance Propagation: An Overview"): the relevance of the target output, seeded
 * with the output's value, is propagated back to the input layer by layer under a composite of
 * rules (see {@link PropagationRules#lrp}). The result is the input relevance; the reported gap
 * is {@code sum(R) - f_target(x)}, which only absorbed bias and stabilisers make non-zero.
 */
public final class Lrp implements AttributionMethod {
    /**
     * Options; see {@link #defaults()}. {@code custom}, when present, is a rule set of the caller's
     * own (rules chosen per op type, first layer or tensor name; see {@link PropagationRules} for
     * the rule names) and replaces the composite.
     */
    public record Options(String composite, double epsilon, double low, double high,
                          java.util.Optional<RuleSet> custom, int batchSize) {
        public Options {
            PropagationRules.lrp(composite, epsilon, low, high);
            if (custom == null) {
                throw new IllegalArgumentException("custom must not be null; use Optional.empty()");
            }
            if (batchSize < 1) {
                throw Explain4jException.usage("--batch-size", "--batch-size must be at least 1 (got " + batchSize + ")");
            }
        }

        /** The epsilon composite with epsilon 1e-9 (Captum's default); z^B bounds 0 and 1. */
        public static Options defaults() {
            return new Options("epsilon", 1e-9, 0.0, 1.0, java.util.Optional.empty(), EvaluationEngine.DEFAULT_BATCH_SIZE);
        }

        /** Another composite, with that composite's default epsilon ({@link PropagationRules#defaultEpsilon}). */
        public Options withComposite(String c) {
            return new Options(c, PropagationRules.defaultEpsilon(c), low, high, custom, batchSize);
        }

        public Options withEpsilon(double e) {
            return new Options(composite, e, low, high, custom, batchSize);
        }

        public Options withBounds(double lo, double hi) {
            return new Options(composite, epsilon, lo, hi, custom, batchSize);
        }

        public Options withBatchSize(int n) {
            return new Options(composite, epsilon, low, high, custom, n);
        }

        /** A rule set of one's own instead of a named composite. */
        public Options withRules(RuleSet rules) {
            return new Options(composite, epsilon, low, high, java.util.Optional.of(rules), batchSize);
        }

        /** The rule set these options select. */
        public RuleSet rules() {
            return custom.orElseGet(() -> PropagationRules.lrp(composite, epsilon, low, high));
        }
    }

    private final DifferentiableModel model;
    private final Options options;
    private final ProgressListener progress;

    public Lrp(DifferentiableModel model, Options options, ProgressListener progress) {
        this.model = model;
        this.options = options;
        this.progress = progress;
    }

    public Lrp(DifferentiableModel model, Options options) {
        this(model, options, ProgressListener.NONE);
    }

    @Override
    public String name() {
        return "lrp";
    }

    @Override
    public Attribution attribute(Tensor input, Target target) {
        // 1. Validate and run once; the relevance seed is the target weighting times the output.
        MethodRun run = new MethodRun(model, options.batchSize(), progress, input, target);
        run.requireFloatingInput(name());
        double[][] x = InputGradients.rows(input);
        Tensor out = run.output();
        int c = run.outputs();
        double[][] seeds = run.seeds();
        // 2. Propagate the relevance back to the input under the composite's rules.
        double[][] relevance = InputGradients.weightedSum(run, name(), options.rules(), input.batchSize(), r -> r,
                (r, dest) -> System.arraycopy(x[r], 0, dest, 0, dest.length),
                (r, dest) -> {
                    for (int k = 0; k < c; k++) {
                        dest[k] = seeds[r][k] * out.getDouble(r * c + k);
                    }
                }, (r, e) -> 1.0);
        // 3. Conservation gap against the explained output.
        double[] fx = run.explained();
        double[] gap = new double[relevance.length];
        for (int n = 0; n < relevance.length; n++) {
            double s = 0;
            for (double v : relevance[n]) {
                s += v;
            }
            gap[n] = s - fx[n];
        }
        Map<String, Object> opts = new LinkedHashMap<>();
        opts.put("composite", options.custom().map(RuleSet::name).orElse(options.composite()));
        opts.put("epsilon", options.epsilon());
        if (options.composite().equals("epsilon-gamma-box")) {
            opts.put("low", options.low());
            opts.put("high", options.high());
        }
        opts.put("batch_size", options.batchSize());
        return run.finish(name(), run.valuesOfInputShape(relevance), target, opts, OptionalLong.empty(), Optional.of(gap),
                Optional.empty());
    }
}
