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
 * Shapley values of the features (elements or mask groups), the value of a coalition being the
 * explained output with the absent features set to the baseline.
 *
 * <p>Sampling (Castro, Gomez and Tejada, 2009, "Polynomial calculation of the Shapley value
 * based on sampling"): for each of {@code samples} random permutations, features are added one
 * by one from the all-baseline input and each is credited with the change it causes;
 * {@code phi_i = mean over permutations of v(pre_i + i) - v(pre_i)}. With {@code antithetic},
 * every second permutation is the reverse of the one before. Costs {@code samples * (M + 1)}
 * evaluations per example.
 *
 * <p>Exact: {@code phi_i = sum over S not containing i of |S|! (M - |S| - 1)! / M! (v(S + i) - v(S))},
 * from all {@code 2^M} coalitions. {@link Exact#AUTO} uses it whenever that is no dearer than
 * sampling. Both satisfy efficiency: the values sum to {@code f(x) - f(baseline)}.
 */
public final class ShapleyValueSampling implements AttributionMethod {
    /** When to compute exact values instead of sampling. */
    public enum Exact {
        /** Exact when {@code 2^M <= samples * (M + 1)}, else sampling. */
        AUTO,
        /** Always exact (refused beyond {@value #MAX_EXACT_FEATURES} features). */
        ALWAYS,
        /** Always sampling. */
        NEVER
    }

    /** The most features exact enumeration accepts. */
    public static final int MAX_EXACT_FEATURES = 24;

    /**
     * Options; see {@link #defaults()}. {@code incremental}: where the model's explained input feeds
     * a dense first layer ({@link org.explain4j.core.model.DenseInput}), each permutation step updates
     * that layer's pre-activation by the one feature it adds and only the rest of the model runs
     * (equal to whole forward passes within float32 rounding); on by default.
     */
    public record Options(Baseline baseline, FeatureMask featureMask, int samples, long seed, Exact exact,
                          boolean antithetic, int batchSize, boolean incremental) {
        public Options {
            if (baseline == null || featureMask == null || exact == null) {
                throw new IllegalArgumentException("baseline, featureMask and exact are required");
            }
            if (samples < 1) {
                throw Explain4jException.usage("samples", "samples must be at least 1 (got " + samples + ")");
            }
            BatchSize.check(batchSize);
        }

        /** Options with incremental inference on. */
        public Options(Baseline baseline, FeatureMask featureMask, int samples, long seed, Exact exact,
                       boolean antithetic, int batchSize) {
            this(baseline, featureMask, samples, seed, exact, antithetic, batchSize, true);
        }

        /** Zero baseline, one feature per element, 25 permutations (Captum's default), seed 0, exact when cheaper, antithetic pairs. */
        public static Options defaults() {
            return new Options(Baseline.zeros(), FeatureMask.elementwise(), 25, 0L, Exact.AUTO, true,
                    BatchSize.AUTO);
        }

        public Options withBaseline(Baseline b) {
            return new Options(b, featureMask, samples, seed, exact, antithetic, batchSize, incremental);
        }

        public Options withFeatureMask(FeatureMask m) {
            return new Options(baseline, m, samples, seed, exact, antithetic, batchSize, incremental);
        }

        public Options withSamples(int n) {
            return new Options(baseline, featureMask, n, seed, exact, antithetic, batchSize, incremental);
        }

        public Options withSeed(long s) {
            return new Options(baseline, featureMask, samples, s, exact, antithetic, batchSize, incremental);
        }

        public Options withExact(Exact e) {
            return new Options(baseline, featureMask, samples, seed, e, antithetic, batchSize, incremental);
        }

        public Options withAntithetic(boolean a) {
            return new Options(baseline, featureMask, samples, seed, exact, a, batchSize, incremental);
        }

        public Options withBatchSize(int n) {
            return new Options(baseline, featureMask, samples, seed, exact, antithetic, n, incremental);
        }

        /** Incremental inference on (where the model offers it) or off (a whole forward pass per row). */
        public Options withIncremental(boolean on) {
            return new Options(baseline, featureMask, samples, seed, exact, antithetic, batchSize, on);
        }
    }

    private final Model model;
    private final Options options;
    private final ProgressListener progress;
    private final String name;

    public ShapleyValueSampling(Model model, Options options, ProgressListener progress) {
        this("shapley-value-sampling", model, options, progress);
    }

    /** Reported as {@code name}; {@link ShapleyExact} uses it with exact enumeration. */
    ShapleyValueSampling(String name, Model model, Options options, ProgressListener progress) {
        this.name = name;
        this.model = model;
        this.options = options;
        this.progress = progress;
    }

    public ShapleyValueSampling(Model model, Options options) {
        this(model, options, ProgressListener.NONE);
    }

    @Override
    public String name() {
        return name;
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
        Perturbations p = new Perturbations(run, options.baseline().rowsFor(input)).incremental(options.incremental());
        int n = input.batchSize();
        int maxM = 0;
        for (FeatureMask.Groups g : groups) {
            maxM = Math.max(maxM, g.count());
        }
        boolean exact = useExact(maxM);
        // 2. Shapley values per example (exact enumeration or permutation sampling).
        double[][] phi = new double[n][];
        double[] gap = new double[n];
        int[][][] members = new int[n][][];
        for (int i = 0; i < n; i++) {
            // examples sharing a grouping share its member lists
            members[i] = i > 0 && groups[i] == groups[i - 1] ? members[i - 1] : Perturbations.members(groups[i]);
        }
        double[] fx = run.explained();
        double[] fb = exact ? exact(p, members, phi) : sample(p, members, phi);
        // 3. Spread each feature's value over its elements; record the efficiency gap.
        double[][] out = new double[n][input.exampleSize()];
        for (int i = 0; i < n; i++) {
            double sum = 0;
            for (double v : phi[i]) {
                sum += v;
            }
            gap[i] = sum - (fx[i] - fb[i]);
            for (int e = 0; e < out[i].length; e++) {
                out[i][e] = phi[i][groups[i].group(e)];
            }
        }
        Map<String, Object> opts = new LinkedHashMap<>();
        opts.put("baseline", options.baseline().describe());
        opts.put("feature_mask", options.featureMask().isElementwise() ? "elementwise" : "groups");
        opts.put("samples", options.samples());
        opts.put("exact", exact);
        opts.put("antithetic", options.antithetic());
        opts.put("batch_size", run.batchSize());
        return run.finish(name(), run.valuesOfInputShape(out), target, opts, exact ? OptionalLong.empty()
                : OptionalLong.of(options.seed()), Optional.of(gap), Optional.empty());
    }

    private boolean useExact(int m) {
        return switch (options.exact()) {
            case ALWAYS -> {
                if (m > MAX_EXACT_FEATURES) {
                    String need = "exact Shapley values need 2^" + m + " model evaluations per example (at most 2^"
                            + MAX_EXACT_FEATURES + "); ";
                    if (name.equals("shapley-exact")) {
                        throw Explain4jException.usage("method", need + "use shapley-value-sampling (--samples) or "
                                + "fewer feature groups (--feature-mask)");
                    }
                    throw Explain4jException.usage("exact", need + "use exact=auto or never (sampling), or fewer "
                            + "feature groups (--feature-mask)");
                }
                yield true;
            }
            case NEVER -> false;
            case AUTO -> m <= MAX_EXACT_FEATURES && (1L << m) <= (long) options.samples() * (m + 1);
        };
    }

    /** Fills phi from all coalitions; returns v(empty) per example. */
    private static double[] exact(Perturbations p, int[][][] members, double[][] phi) {
        int n = members.length;
        int[] first = new int[n];
        for (int i = 0; i < n; i++) {
            int m = members[i].length;
            for (long bits = 0; bits < 1L << m; bits++) {
                int job = p.add(i, Perturbations.absent(members[i], Coalitions.fromBits(bits, m)));
                if (bits == 0) {
                    first[i] = job;
                }
            }
        }
        double[] v = p.run("shapley-exact");
        double[] fb = new double[n];
        for (int i = 0; i < n; i++) {
            int m = members[i].length;
            double[] weight = new double[m];
            for (int s = 0; s < m; s++) {
                weight[s] = Math.exp(Coalitions.logFactorial(s) + Coalitions.logFactorial(m - s - 1)
                        - Coalitions.logFactorial(m));
            }
            phi[i] = new double[m];
            for (long bits = 0; bits < 1L << m; bits++) {
                int s = Long.bitCount(bits);
                for (int f = 0; f < m; f++) {
                    if ((bits >>> f & 1L) == 0) {
                        phi[i][f] += weight[s] * (v[first[i] + (int) (bits | 1L << f)] - v[first[i] + (int) bits]);
                    }
                }
            }
            fb[i] = v[first[i]];
        }
        return fb;
    }

    /** Fills phi by permutation sampling; returns the mean v(empty) per example. */
    private double[] sample(Perturbations p, int[][][] members, double[][] phi) {
        int n = members.length;
        int samples = options.samples();
        SplittableRandom rnd = new SplittableRandom(options.seed());
        int maxM = 0;
        for (int[][] m : members) {
            maxM = Math.max(maxM, m.length);
        }
        // The same permutations serve every example, so a batch equals one-by-one runs.
        int[][] perms = new int[samples][];
        for (int s = 0; s < samples; s++) {
            if (options.antithetic() && s % 2 == 1) {
                int[] prev = perms[s - 1];
                int[] rev = new int[prev.length];
                for (int k = 0; k < rev.length; k++) {
                    rev[k] = prev[prev.length - 1 - k];
                }
                perms[s] = rev;
            } else {
                perms[s] = Coalitions.permutation(rnd, maxM);
            }
        }
        // Examples are queued and evaluated in chunks of at most CHUNK_JOBS perturbed rows (one at
        // least), so memory stays bounded however many examples; each example's values depend on
        // its own rows only, so the chunking does not change them.
        long totalRows = 0;
        for (int i = 0; i < n; i++) {
            totalRows += (long) samples * (members[i].length + 1) * p.rowsPerJob(i);
        }
        double[] fb = new double[n];
        int[][] tailsOf = null;
        Perturbations.ElementSet[][] tails = null;
        try (EvaluationEngine.ProgressScope scope = p.progressScope(name(), totalRows)) {
            for (int a = 0; a < n; ) {
                int b = a;
                long jobs = 0;
                while (b < n && (b == a || jobs + (long) samples * (members[b].length + 1) <= chunkJobs)) {
                    jobs += (long) samples * (members[b].length + 1);
                    b++;
                }
                int[][] firstOf = new int[b - a][];
                for (int i = a; i < b; i++) {
                    int m = members[i].length;
                    int[][] mem = members[i];
                    if (mem != tailsOf) {
                        // each permutation's tails, made once for all the examples that share this grouping
                        // (a perturbed row is queued as one of these shared sets, not a set of its own)
                        tails = new Perturbations.ElementSet[samples][m + 1];
                        for (int s = 0; s < samples; s++) {
                            int[] order = restrict(perms[s], m);
                            for (int k = 0; k <= m; k++) {
                                // Features order[k..m-1] are still absent.
                                tails[s][k] = Perturbations.ElementSet.ofTail(mem, order, k);
                            }
                        }
                        tailsOf = mem;
                    }
                    firstOf[i - a] = new int[samples];
                    for (int s = 0; s < samples; s++) {
                        firstOf[i - a][s] = p.add(i, tails[s]);
                    }
                }
                double[] v = p.run(name());
                for (int i = a; i < b; i++) {
                    int m = members[i].length;
                    phi[i] = new double[m];
                    for (int s = 0; s < samples; s++) {
                        int[] order = restrict(perms[s], m);
                        int base = firstOf[i - a][s];
                        for (int k = 0; k < m; k++) {
                            phi[i][order[k]] += v[base + k + 1] - v[base + k];
                        }
                        fb[i] += v[base];
                    }
                    for (int f = 0; f < m; f++) {
                        phi[i][f] /= samples;
                    }
                    fb[i] /= samples;
                }
                a = b;
            }
        }
        return fb;
    }

    /** The most perturbed rows (jobs) Shapley sampling queues at once; tests make it small. */
    static long chunkJobs = 1L << 20;

    /** The permutation's order restricted to features below m (examples may have fewer features). */
    private static int[] restrict(int[] perm, int m) {
        if (perm.length == m) {
            return perm;
        }
        int[] out = new int[m];
        int at = 0;
        for (int f : perm) {
            if (f < m) {
                out[at++] = f;
            }
        }
        return out;
    }
}
