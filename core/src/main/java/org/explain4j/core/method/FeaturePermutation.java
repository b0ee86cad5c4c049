package org.explain4j.core.method;

import org.explain4j.core.engine.BatchSize;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.SplittableRandom;
import org.explain4j.core.Attribution;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.FeatureMask;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.model.FedInputs;
import org.explain4j.core.engine.EvaluationEngine;
import org.explain4j.core.engine.ProgressListener;
import org.explain4j.core.model.Model;

/**
 * Permutation feature importance (Breiman, 2001, "Random Forests", section 10), per example:
 * each feature's values are shuffled across the examples of the batch (a seeded random
 * permutation, drawn anew for every feature and repeat) and the feature is credited with
 * {@code f(x) - f(x with the feature taken from another example)}, averaged over
 * {@code repeats}. Needs a batch of at least two examples; no baseline.
 */
public final class FeaturePermutation implements AttributionMethod {
    /** Options; see {@link #defaults()}. */
    public record Options(FeatureMask featureMask, int repeats, long seed, int batchSize) {
        public Options {
            if (featureMask == null) {
                throw new IllegalArgumentException("featureMask is required");
            }
            if (repeats < 1) {
                throw Explain4jException.usage("samples", "samples (permutation repeats) must be at least 1 (got " + repeats + ")");
            }
            BatchSize.check(batchSize);
        }

        /** One feature per element, one permutation per feature, seed 0. */
        public static Options defaults() {
            return new Options(FeatureMask.elementwise(), 1, 0L, BatchSize.AUTO);
        }

        public Options withFeatureMask(FeatureMask m) {
            return new Options(m, repeats, seed, batchSize);
        }

        public Options withRepeats(int r) {
            return new Options(featureMask, r, seed, batchSize);
        }

        public Options withSeed(long s) {
            return new Options(featureMask, repeats, s, batchSize);
        }

        public Options withBatchSize(int n) {
            return new Options(featureMask, repeats, seed, n);
        }
    }

    private final Model model;
    private final Options options;
    private final ProgressListener progress;

    public FeaturePermutation(Model model, Options options, ProgressListener progress) {
        this.model = model;
        this.options = options;
        this.progress = progress;
    }

    public FeaturePermutation(Model model, Options options) {
        this(model, options, ProgressListener.NONE);
    }

    @Override
    public String name() {
        return "feature-permutation";
    }

    @Override
    public Attribution attribute(Tensor input, Target target) {
        return attribute(input, FedInputs.none(), target);
    }

    @Override
    public Attribution attribute(Tensor input, FedInputs fed, Target target) {
        // 1. Validate, run once; a permutation needs at least two examples.
        if (input.rank() >= 1 && input.batchSize() < 2) {
            throw Explain4jException.shape("input", "feature-permutation shuffles features across the batch, but input has "
                    + input.batchSize() + " example; pass a batch of at least 2 examples");
        }
        MethodRun run = new MethodRun(model, options.batchSize(), progress, input, fed, target);
        FeatureMask.Groups[] groups = options.featureMask().resolve(input);
        Perturbations p = new Perturbations(run, new double[input.batchSize()][0][]);
        int n = input.batchSize();
        int maxM = 0;
        int[][][] members = new int[n][][];
        for (int i = 0; i < n; i++) {
            members[i] = Perturbations.members(groups[i]);
            maxM = Math.max(maxM, members[i].length);
        }
        // 2. For each repeat and feature, a seeded permutation of the batch supplies the values.
        SplittableRandom rnd = new SplittableRandom(options.seed());
        int repeats = options.repeats();
        for (int r = 0; r < repeats; r++) {
            for (int f = 0; f < maxM; f++) {
                int[] perm = Coalitions.permutation(rnd, n);
                for (int i = 0; i < n; i++) {
                    if (f < members[i].length) {
                        p.add(i, Perturbations.ElementSet.ofFeatures(members[i], f), p.inputRow(perm[i]));
                    } else {
                        p.add(i, action -> { }, p.inputRow(i));
                    }
                }
            }
        }
        double[] v = p.run(name());
        // 3. Average the drop over repeats and spread it over each feature's elements.
        double[] fx = run.explained();
        double[][] phi = new double[n][maxM];
        int job = 0;
        for (int r = 0; r < repeats; r++) {
            for (int f = 0; f < maxM; f++) {
                for (int i = 0; i < n; i++) {
                    phi[i][f] += (fx[i] - v[job++]) / repeats;
                }
            }
        }
        double[][] out = new double[n][input.exampleSize()];
        for (int i = 0; i < n; i++) {
            for (int e = 0; e < out[i].length; e++) {
                out[i][e] = phi[i][groups[i].group(e)];
            }
        }
        Map<String, Object> opts = new LinkedHashMap<>();
        opts.put("feature_mask", options.featureMask().isElementwise() ? "elementwise" : "groups");
        opts.put("repeats", repeats);
        opts.put("batch_size", run.batchSize());
        return run.finish(name(), run.valuesOfInputShape(out), target, opts, OptionalLong.of(options.seed()),
                Optional.empty(), Optional.empty());
    }
}
