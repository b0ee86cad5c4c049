package org.explain4j.core.method;

import org.explain4j.core.engine.BatchSize;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.SplittableRandom;
import org.explain4j.core.Attribution;
import org.explain4j.core.Baseline;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.FeatureMask;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.model.FedInputs;
import org.explain4j.core.engine.EvaluationEngine;
import org.explain4j.core.engine.ProgressListener;
import org.explain4j.core.model.Model;

/**
 * LIME (Ribeiro, Singh and Guestrin, 2016, "Why Should I Trust You?", equation 1): a linear
 * surrogate {@code g(z) = b + sum_i w_i z_i} over binary interpretable features (each feature
 * present or replaced by the baseline) is fitted to the explained output on {@code samples}
 * random coalitions (each feature present with probability 1/2, the first sample being the
 * unperturbed input), weighted by the proximity kernel {@code exp(-d^2 / width^2)} where
 * {@code d} is the cosine distance between the coalition and the all-present vector. The
 * attributions are the surrogate's coefficients; the weighted R^2 of the fit is reported.
 * Surrogates: weighted ridge regression (LIME's default, alpha 1) or weighted lasso by
 * coordinate descent (Captum's default, alpha 0.01), both with an intercept.
 */
public final class Lime implements AttributionMethod {
    /** The surrogate linear model. */
    public enum Surrogate {
        RIDGE, LASSO
    }

    /** Options; see {@link #defaults()}. */
    public record Options(Baseline baseline, FeatureMask featureMask, int samples, long seed, double kernelWidth,
                          Surrogate surrogate, double alpha, int batchSize) {
        public Options {
            if (baseline == null || featureMask == null || surrogate == null) {
                throw new IllegalArgumentException("baseline, featureMask and surrogate are required");
            }
            if (samples < 2) {
                throw Explain4jException.usage("samples", "samples must be at least 2 (got " + samples + ")");
            }
            if (!(kernelWidth > 0) || Double.isInfinite(kernelWidth)) {
                throw Explain4jException.usage("kernel-width", "kernel-width must be a positive number (got " + kernelWidth + ")");
            }
            if (!(alpha >= 0) || Double.isInfinite(alpha)) {
                throw Explain4jException.usage("alpha", "alpha must be zero or positive (got " + alpha + ")");
            }
            BatchSize.check(batchSize);
        }

        /** Zero baseline, one feature per element, 1000 samples, seed 0, width 0.25, ridge with alpha 1. */
        public static Options defaults() {
            return new Options(Baseline.zeros(), FeatureMask.elementwise(), 1000, 0L, 0.25, Surrogate.RIDGE, 1.0,
                    BatchSize.AUTO);
        }

        /** The default alpha of a surrogate: 1 for ridge (as LIME), 0.01 for lasso (as Captum). */
        public static double defaultAlpha(Surrogate s) {
            return s == Surrogate.RIDGE ? 1.0 : 0.01;
        }

        public Options withBaseline(Baseline b) {
            return new Options(b, featureMask, samples, seed, kernelWidth, surrogate, alpha, batchSize);
        }

        public Options withFeatureMask(FeatureMask m) {
            return new Options(baseline, m, samples, seed, kernelWidth, surrogate, alpha, batchSize);
        }

        public Options withSamples(int n) {
            return new Options(baseline, featureMask, n, seed, kernelWidth, surrogate, alpha, batchSize);
        }

        public Options withSeed(long s) {
            return new Options(baseline, featureMask, samples, s, kernelWidth, surrogate, alpha, batchSize);
        }

        public Options withKernelWidth(double w) {
            return new Options(baseline, featureMask, samples, seed, w, surrogate, alpha, batchSize);
        }

        /** Another surrogate with its default alpha. */
        public Options withSurrogate(Surrogate s) {
            return new Options(baseline, featureMask, samples, seed, kernelWidth, s, defaultAlpha(s), batchSize);
        }

        public Options withAlpha(double a) {
            return new Options(baseline, featureMask, samples, seed, kernelWidth, surrogate, a, batchSize);
        }

        public Options withBatchSize(int n) {
            return new Options(baseline, featureMask, samples, seed, kernelWidth, surrogate, alpha, n);
        }
    }

    private final Model model;
    private final Options options;
    private final ProgressListener progress;

    public Lime(Model model, Options options, ProgressListener progress) {
        this.model = model;
        this.options = options;
        this.progress = progress;
    }

    public Lime(Model model, Options options) {
        this(model, options, ProgressListener.NONE);
    }

    @Override
    public String name() {
        return "lime";
    }

    @Override
    public Attribution attribute(Tensor input, Target target) {
        return attribute(input, FedInputs.none(), target);
    }

    @Override
    public Attribution attribute(Tensor input, FedInputs fed, Target target) {
        // 1. Validate, run once, resolve features and baseline.
        MethodRun run = new MethodRun(model, options.batchSize(), progress, input, fed, target);
        FeatureMask.Groups[] groups = options.featureMask().resolve(input);
        Perturbations p = new Perturbations(run, options.baseline().rowsFor(input));
        int n = input.batchSize();
        int maxM = 0;
        for (FeatureMask.Groups g : groups) {
            maxM = Math.max(maxM, g.count());
        }
        // 2. Draw the coalitions once (seeded) and share them across examples.
        int samples = options.samples();
        SplittableRandom rnd = new SplittableRandom(options.seed());
        boolean[][] draws = new boolean[samples][maxM];
        for (int s = 0; s < samples; s++) {
            for (int f = 0; f < maxM; f++) {
                draws[s][f] = s == 0 || rnd.nextBoolean();
            }
        }
        int[][][] members = new int[n][][];
        int[] first = new int[n];
        for (int i = 0; i < n; i++) {
            members[i] = Perturbations.members(groups[i]);
            int m = members[i].length;
            for (int s = 0; s < samples; s++) {
                int job = p.add(i, Perturbations.absent(members[i], java.util.Arrays.copyOf(draws[s], m)));
                if (s == 0) {
                    first[i] = job;
                }
            }
        }
        double[] v = p.run(name());
        // 3. Fit the weighted surrogate per example; the design and weights are shared by every
        //    example with the same number of features, so they are prepared once.
        double[][] out = new double[n][input.exampleSize()];
        double[] r2 = new double[n];
        Map<Integer, Surrogates.Design> designs = new java.util.HashMap<>();
        for (int i = 0; i < n; i++) {
            int m = members[i].length;
            Surrogates.Design design = designs.computeIfAbsent(m, k -> design(draws, k));
            double[] y = new double[samples];
            System.arraycopy(v, first[i], y, 0, samples);
            Surrogates.Fit fit = options.surrogate() == Surrogate.RIDGE
                    ? design.ridge(y, options.alpha())
                    : design.lasso(y, options.alpha());
            r2[i] = fit.r2();
            for (int e = 0; e < out[i].length; e++) {
                out[i][e] = fit.coefficients()[groups[i].group(e)];
            }
        }
        Map<String, Object> opts = new LinkedHashMap<>();
        opts.put("baseline", options.baseline().describe());
        opts.put("feature_mask", options.featureMask().isElementwise() ? "elementwise" : "groups");
        opts.put("samples", samples);
        opts.put("kernel_width", options.kernelWidth());
        opts.put("surrogate", options.surrogate().name().toLowerCase(java.util.Locale.ROOT));
        opts.put("alpha", options.alpha());
        opts.put("batch_size", run.batchSize());
        return run.finish(name(), run.valuesOfInputShape(out), target, opts, OptionalLong.of(options.seed()),
                Optional.empty(), Optional.of(r2));
    }

    /** The binary design of the first {@code m} features of the draws, with the proximity kernel's weights. */
    private Surrogates.Design design(boolean[][] draws, int m) {
        int samples = draws.length;
        double[][] x = new double[samples][m];
        double[] w = new double[samples];
        double width2 = options.kernelWidth() * options.kernelWidth();
        for (int s = 0; s < samples; s++) {
            int present = 0;
            for (int f = 0; f < m; f++) {
                x[s][f] = draws[s][f] ? 1 : 0;
                present += draws[s][f] ? 1 : 0;
            }
            double dist = present == 0 ? 1.0 : 1.0 - Math.sqrt(present / (double) m);
            w[s] = Math.exp(-dist * dist / width2);
        }
        return new Surrogates.Design(x, w);
    }
}
