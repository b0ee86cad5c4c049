package org.explain4j.core.method;

import org.explain4j.core.engine.BatchSize;

import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import org.explain4j.core.Attribution;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.model.FedInputs;
import org.explain4j.core.engine.EvaluationEngine;
import org.explain4j.core.engine.ProgressListener;
import org.explain4j.core.grad.Composite;
import org.explain4j.core.grad.Composite.Parameter;
import org.explain4j.core.grad.Composites;
import org.explain4j.core.grad.DifferentiableModel;
import org.explain4j.core.grad.RuleSet;

/**
 * Layer-wise relevance propagation (Bach et al., 2015, "On Pixel-Wise Explanations for
 * Non-Linear Classifier Decisions by Layer-Wise Relevance Propagation"; Montavon et al., 2019,
 * "Layer-Wise Relevance Propagation: An Overview"): the relevance of the target output, seeded
 * with the output's value, is propagated back to the input layer by layer under a composite of
 * rules (see {@link Composites}). The result is the input relevance; the reported gap is
 * {@code sum(R) - f_target(x)}, which only absorbed bias and stabilisers make non-zero. The
 * modified-gradient composites (guided backprop, deconvolution, beta-smooth) seed 1 instead.
 */
public final class Lrp implements AttributionMethod {
    /**
     * Options; see {@link #defaults()}. The parameters are unset (empty) unless given, and then
     * take the composite's defaults; a given parameter the composite does not use is a usage error
     * when the options are made. {@code custom}, when present, is a rule set of the caller's own
     * (rules chosen per op type, first layer or tensor name; see {@link org.explain4j.core.grad.Rules}
     * for the rule names) and replaces the composite's rules; it is seeded with the output's value.
     */
    public record Options(Composite composite, OptionalDouble epsilon, OptionalDouble gamma, OptionalDouble beta,
                          OptionalDouble low, OptionalDouble high, Optional<RuleSet> custom, int batchSize,
                          Optional<String> layer) {
        public Options {
            if (composite == null || epsilon == null || gamma == null || beta == null || low == null || high == null
                    || custom == null || layer == null) {
                throw new IllegalArgumentException("every option is required; use OptionalDouble.empty() or"
                        + " Optional.empty() for unset ones");
            }
            BatchSize.check(batchSize);
            composite.values(given(epsilon, gamma, beta, low, high));
        }

        /** The epsilon composite with epsilon 1e-9 (Captum's default). */
        public static Options defaults() {
            OptionalDouble unset = OptionalDouble.empty();
            return new Options(Composites.EPSILON, unset, unset, unset, unset, unset, Optional.empty(),
                    BatchSize.AUTO, Optional.empty());
        }

        /** A built-in composite by name; parameters given so far are kept (and must apply to it). */
        public Options withComposite(String c) {
            return withComposite(Composites.byName(c));
        }

        /** Another composite; parameters given so far are kept (and must apply to it). */
        public Options withComposite(Composite c) {
            return new Options(c, epsilon, gamma, beta, low, high, custom, batchSize, layer);
        }

        public Options withEpsilon(double e) {
            return new Options(composite, OptionalDouble.of(e), gamma, beta, low, high, custom, batchSize, layer);
        }

        /** The gamma of the gamma rule, where the composite uses it. */
        public Options withGamma(double g) {
            return new Options(composite, epsilon, OptionalDouble.of(g), beta, low, high, custom, batchSize, layer);
        }

        /** Alpha-beta with alpha = 1 + b and beta = b, where the composite uses it. */
        public Options withBeta(double b) {
            return new Options(composite, epsilon, gamma, OptionalDouble.of(b), low, high, custom, batchSize, layer);
        }

        public Options withLow(double lo) {
            return new Options(composite, epsilon, gamma, beta, OptionalDouble.of(lo), high, custom, batchSize, layer);
        }

        public Options withHigh(double hi) {
            return new Options(composite, epsilon, gamma, beta, low, OptionalDouble.of(hi), custom, batchSize, layer);
        }

        /** The z^B bounds, where the composite uses them. */
        public Options withBounds(double lo, double hi) {
            return new Options(composite, epsilon, gamma, beta, OptionalDouble.of(lo), OptionalDouble.of(hi), custom,
                    batchSize, layer);
        }

        public Options withBatchSize(int n) {
            return new Options(composite, epsilon, gamma, beta, low, high, custom, n, layer);
        }

        /** Options of the input-space method (no layer). */
        public Options(Composite composite, OptionalDouble epsilon, OptionalDouble gamma, OptionalDouble beta,
                       OptionalDouble low, OptionalDouble high, Optional<RuleSet> custom, int batchSize) {
            this(composite, epsilon, gamma, beta, low, high, custom, batchSize, Optional.empty());
        }

        /**
         * The relevance at an intermediate tensor (e.g. an embedding's output for token ids)
         * instead of at the input.
         */
        public Options withLayer(String tensor) {
            return new Options(composite, epsilon, gamma, beta, low, high, custom, batchSize, Optional.of(tensor));
        }

        /** A rule set of one's own instead of the composite's. */
        public Options withRules(RuleSet rules) {
            return new Options(composite, epsilon, gamma, beta, low, high, Optional.of(rules), batchSize, layer);
        }

        /** The composite's name. */
        public String compositeName() {
            return composite.name();
        }

        /** The given parameters (those set). */
        public Map<Parameter, Double> given() {
            return given(epsilon, gamma, beta, low, high);
        }

        /** The parameters in effect: the composite's defaults overridden by the given ones. */
        public Composite.Values values() {
            return composite.values(given());
        }

        /** The rule set these options select. */
        public RuleSet rules() {
            return custom.orElseGet(() -> composite.rules(given()));
        }

        /** What the backward pass is seeded with: the composite's seed, or the output for a custom rule set. */
        public Composite.Seed seed() {
            return custom.isPresent() ? Composite.Seed.OUTPUT : composite.seed();
        }

        private static Map<Parameter, Double> given(OptionalDouble epsilon, OptionalDouble gamma, OptionalDouble beta,
                                                    OptionalDouble low, OptionalDouble high) {
            Map<Parameter, Double> m = new EnumMap<>(Parameter.class);
            epsilon.ifPresent(v -> m.put(Parameter.EPSILON, v));
            gamma.ifPresent(v -> m.put(Parameter.GAMMA, v));
            beta.ifPresent(v -> m.put(Parameter.BETA, v));
            low.ifPresent(v -> m.put(Parameter.LOW, v));
            high.ifPresent(v -> m.put(Parameter.HIGH, v));
            return m;
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
        return attribute(input, FedInputs.none(), target);
    }

    @Override
    public Attribution attribute(Tensor input, FedInputs fed, Target target) {
        // 1. Validate and run once; the relevance seed is the target weighting times the output (or 1).
        MethodRun run = new MethodRun(model, options.batchSize(), progress, input, fed, target);
        if (options.layer().isEmpty()) {
            run.requireFloatingInput(name());
        }
        double[][] x = InputGradients.rows(input);
        Tensor out = run.output();
        int c = run.outputs();
        double[][] seeds = run.seeds();
        boolean byOutput = options.seed() == Composite.Seed.OUTPUT;
        EvaluationEngine.RowFiller seed = (r, dest) -> {
            for (int k = 0; k < c; k++) {
                // a zero weight stays zero next to a masked (-inf) output
                dest[k] = seeds[r][k] == 0 ? 0 : seeds[r][k] * (byOutput ? out.getDouble(r * c + k) : 1.0);
            }
        };
        // 2. Propagate the relevance back to the input (or to the layer) under the composite's rules.
        double[][] relevance = new double[input.batchSize()][];
        int[] layerShape = null;
        if (options.layer().isPresent()) {
            layerShape = LayerProbe.run(run, name(), options.layer().get(), options.rules(), input.batchSize(), r -> r,
                    (r, dest) -> System.arraycopy(x[r], 0, dest, 0, dest.length), seed, null,
                    (r, a, g) -> relevance[r] = g.clone());
        } else {
            double[][] atInput = InputGradients.weightedSum(run, name(), options.rules(), input.batchSize(), r -> r,
                    (r, dest) -> System.arraycopy(x[r], 0, dest, 0, dest.length), seed, (r, e) -> 1.0);
            System.arraycopy(atInput, 0, relevance, 0, atInput.length);
        }
        // 3. Conservation gap against the explained output (none for a modified gradient, seeded 1).
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
        opts.put("composite", options.custom().map(RuleSet::name).orElse(options.compositeName()));
        if (options.custom().isEmpty()) {
            // the parameters the composite actually used, defaults included
            Composite.Values used = options.values();
            for (Parameter p : Parameter.values()) {
                if (used.values().containsKey(p)) {
                    opts.put(p.option(), used.get(p));
                }
            }
        }
        opts.put("batch_size", run.batchSize());
        options.layer().ifPresent(l -> opts.put("layer", l));
        Tensor values = layerShape == null ? run.valuesOfInputShape(relevance) : LayerProbe.tensor(relevance, layerShape);
        return run.finish(name(), values, target, opts, OptionalLong.empty(),
                byOutput ? Optional.of(gap) : Optional.empty(), Optional.empty());
    }
}
