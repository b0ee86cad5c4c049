package org.explain4j.core.method;

import org.explain4j.core.engine.BatchSize;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
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
 * KernelSHAP (Lundberg and Lee, 2017, "A Unified Approach to Interpreting Model Predictions",
 * Theorem 2): the Shapley values are the coefficients of the linear model
 * {@code v(z) ~ phi_0 + sum_i z_i phi_i} over coalitions {@code z}, fitted by least squares with
 * the Shapley kernel {@code pi(z) = (M - 1) / (C(M, |z|) |z| (M - |z|))}, under the efficiency
 * constraint {@code sum_i phi_i = f(x) - f(baseline)} (imposed exactly by eliminating one
 * coefficient).
 *
 * <p>When {@code 2^M - 2 <= samples}, every coalition is enumerated with its kernel weight and the
 * result is the exact Shapley values. Otherwise {@code samples} coalitions are drawn (seeded):
 * a size {@code s} with probability proportional to {@code (M - 1) / (s (M - s))}, a uniform
 * subset of that size, each paired with its complement; drawn coalitions have weight 1.
 */
public final class KernelShap implements AttributionMethod {
    /** Options; see {@link #defaults()}. */
    public record Options(Baseline baseline, FeatureMask featureMask, int samples, long seed, int batchSize) {
        public Options {
            if (baseline == null || featureMask == null) {
                throw new IllegalArgumentException("baseline and featureMask are required");
            }
            if (samples < 2) {
                throw Explain4jException.usage("samples", "samples must be at least 2 (got " + samples + ")");
            }
            BatchSize.check(batchSize);
        }

        /** Zero baseline, one feature per element, 2048 coalitions, seed 0. */
        public static Options defaults() {
            return new Options(Baseline.zeros(), FeatureMask.elementwise(), 2048, 0L, BatchSize.AUTO);
        }

        public Options withBaseline(Baseline b) {
            return new Options(b, featureMask, samples, seed, batchSize);
        }

        public Options withFeatureMask(FeatureMask m) {
            return new Options(baseline, m, samples, seed, batchSize);
        }

        public Options withSamples(int n) {
            return new Options(baseline, featureMask, n, seed, batchSize);
        }

        public Options withSeed(long s) {
            return new Options(baseline, featureMask, samples, s, batchSize);
        }

        public Options withBatchSize(int n) {
            return new Options(baseline, featureMask, samples, seed, n);
        }
    }

    private final Model model;
    private final Options options;
    private final ProgressListener progress;

    public KernelShap(Model model, Options options, ProgressListener progress) {
        this.model = model;
        this.options = options;
        this.progress = progress;
    }

    public KernelShap(Model model, Options options) {
        this(model, options, ProgressListener.NONE);
    }

    @Override
    public String name() {
        return "kernel-shap";
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
        // 2. Choose the coalitions and their weights (the same for all examples with M features).
        Map<Integer, Design> designs = new LinkedHashMap<>();
        for (FeatureMask.Groups g : groups) {
            designs.computeIfAbsent(g.count(), this::design);
        }
        // 3. Queue v(empty) and v(z) for every coalition of every example.
        int[][][] members = new int[n][][];
        int[] first = new int[n];
        for (int i = 0; i < n; i++) {
            members[i] = Perturbations.members(groups[i]);
            Design d = designs.get(members[i].length);
            first[i] = p.add(i, Perturbations.absent(members[i], new boolean[members[i].length]));
            for (boolean[] z : d.coalitions) {
                p.add(i, Perturbations.absent(members[i], z));
            }
        }
        double[] v = p.run(name());
        double[] fx = run.explained();
        // 4. Constrained weighted least squares per example.
        double[][] out = new double[n][input.exampleSize()];
        double[] gap = new double[n];
        for (int i = 0; i < n; i++) {
            Design d = designs.get(members[i].length);
            double[] phi = fit(d, members[i].length, v, first[i], fx[i]);
            double sum = 0;
            for (double x : phi) {
                sum += x;
            }
            gap[i] = sum - (fx[i] - v[first[i]]);
            for (int e = 0; e < out[i].length; e++) {
                out[i][e] = phi[groups[i].group(e)];
            }
        }
        Map<String, Object> opts = new LinkedHashMap<>();
        opts.put("baseline", options.baseline().describe());
        opts.put("feature_mask", options.featureMask().isElementwise() ? "elementwise" : "groups");
        opts.put("samples", options.samples());
        boolean enumerated = designs.values().stream().allMatch(d -> d.enumerated);
        opts.put("enumerated", enumerated);
        opts.put("batch_size", run.batchSize());
        return run.finish(name(), run.valuesOfInputShape(out), target, opts,
                enumerated ? OptionalLong.empty() : OptionalLong.of(options.seed()), Optional.of(gap), Optional.empty());
    }

    /**
     * Coalitions (neither empty nor full) with their regression weights, and the normal equations
     * of the reduced regression (see {@link #fit}), which depend on the coalitions only and are
     * therefore built once for all examples with the same number of features.
     */
    private record Design(List<boolean[]> coalitions, double[] weights, boolean enumerated,
                          Linear.NormalEquations normal) {
        Design(List<boolean[]> coalitions, double[] weights, boolean enumerated, int m) {
            this(coalitions, weights, enumerated, m <= 1 ? null : reduced(coalitions, weights, m));
        }

        /** Row r: {@code z_j - z_last} for {@code j < m - 1} (phi_last eliminated). */
        private static Linear.NormalEquations reduced(List<boolean[]> coalitions, double[] weights, int m) {
            double[][] x = new double[coalitions.size()][m - 1];
            for (int r = 0; r < x.length; r++) {
                boolean[] z = coalitions.get(r);
                double last = z[m - 1] ? 1 : 0;
                for (int j = 0; j < m - 1; j++) {
                    x[r][j] = (z[j] ? 1 : 0) - last;
                }
            }
            return new Linear.NormalEquations(x, weights, 0.0);
        }
    }

    private Design design(int m) {
        List<boolean[]> zs = new ArrayList<>();
        if (m <= 1) {
            return new Design(zs, new double[0], true, m);
        }
        if (m < 62 && (1L << m) - 2 <= options.samples()) {
            double[] w = new double[(int) ((1L << m) - 2)];
            for (long bits = 1; bits < (1L << m) - 1; bits++) {
                int s = Long.bitCount(bits);
                w[zs.size()] = Math.exp(Math.log(m - 1) - Coalitions.logChoose(m, s) - Math.log(s) - Math.log(m - s));
                zs.add(Coalitions.fromBits(bits, m));
            }
            return new Design(zs, w, true, m);
        }
        SplittableRandom rnd = new SplittableRandom(options.seed());
        double[] sizeCdf = new double[m];
        double total = 0;
        for (int s = 1; s < m; s++) {
            total += (m - 1.0) / (s * (double) (m - s));
            sizeCdf[s] = total;
        }
        int pairs = options.samples() / 2;
        for (int k = 0; k < pairs; k++) {
            double u = rnd.nextDouble() * total;
            int s = 1;
            while (s < m - 1 && sizeCdf[s] < u) {
                s++;
            }
            int[] perm = Coalitions.permutation(rnd, m);
            boolean[] z = new boolean[m];
            boolean[] c = new boolean[m];
            for (int j = 0; j < m; j++) {
                z[perm[j]] = j < s;
                c[perm[j]] = j >= s;
            }
            zs.add(z);
            zs.add(c);
        }
        double[] w = new double[zs.size()];
        java.util.Arrays.fill(w, 1.0);
        return new Design(zs, w, false, m);
    }

    /** Shapley values from the coalition values of one example, efficiency imposed exactly. */
    private static double[] fit(Design d, int m, double[] v, int first, double fx) {
        double v0 = v[first];
        double delta = fx - v0;
        if (m <= 1) {
            return new double[] {delta};
        }
        // Eliminate phi_{m-1} = delta - sum_{j<m-1} phi_j:
        // v(z) - v0 - z_last * delta = sum_{j<m-1} (z_j - z_last) phi_j.
        int rows = d.coalitions.size();
        double[] y = new double[rows];
        for (int r = 0; r < rows; r++) {
            double last = d.coalitions.get(r)[m - 1] ? 1 : 0;
            y[r] = v[first + 1 + r] - v0 - last * delta;
        }
        double[] beta = d.normal.solve(y);
        double[] phi = new double[m];
        double rest = delta;
        for (int j = 0; j < m - 1; j++) {
            phi[j] = beta[j];
            rest -= beta[j];
        }
        phi[m - 1] = rest;
        return phi;
    }
}
