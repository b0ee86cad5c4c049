package org.explain4j.core.method;

import org.explain4j.core.engine.BatchSize;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
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
 * Feature ablation: each feature (an element, or a group of a {@link FeatureMask}) is replaced by
 * the baseline in turn, and its attribution is the drop of the explained output,
 * {@code f(x) - f(x with feature i set to the baseline)}. Every element of a group receives the
 * group's value. Deterministic; {@code M + 1} model evaluations per example (times the number of
 * baseline rows for a baseline distribution).
 */
public final class FeatureAblation implements AttributionMethod {
    /**
     * Options; see {@link #defaults()}. {@code incremental}: evaluate each ablation through the
     * model's incremental inference where the model offers it (worthwhile for local groups such as
     * image patches; the result equals full recomputation within float32 rounding); on by default.
     */
    public record Options(Baseline baseline, FeatureMask featureMask, int batchSize, boolean incremental) {
        public Options {
            if (baseline == null || featureMask == null) {
                throw new IllegalArgumentException("baseline and featureMask are required");
            }
            BatchSize.check(batchSize);
        }

        /** Options with incremental inference on. */
        public Options(Baseline baseline, FeatureMask featureMask, int batchSize) {
            this(baseline, featureMask, batchSize, true);
        }

        /** Zero baseline, one feature per element, batches of 64. */
        public static Options defaults() {
            return new Options(Baseline.zeros(), FeatureMask.elementwise(), BatchSize.AUTO);
        }

        public Options withBaseline(Baseline b) {
            return new Options(b, featureMask, batchSize, incremental);
        }

        public Options withFeatureMask(FeatureMask m) {
            return new Options(baseline, m, batchSize, incremental);
        }

        public Options withBatchSize(int n) {
            return new Options(baseline, featureMask, n, incremental);
        }

        /** Incremental inference on (where the model offers it) or off (a whole forward pass per ablation). */
        public Options withIncremental(boolean on) {
            return new Options(baseline, featureMask, batchSize, on);
        }
    }

    /** The most ablations queued at once (tests make it small). */
    static long chunkJobs = 1L << 20;

    private final Model model;
    private final Options options;
    private final ProgressListener progress;

    public FeatureAblation(Model model, Options options, ProgressListener progress) {
        this.model = model;
        this.options = options;
        this.progress = progress;
    }

    public FeatureAblation(Model model, Options options) {
        this(model, options, ProgressListener.NONE);
    }

    @Override
    public String name() {
        return "feature-ablation";
    }

    @Override
    public Attribution attribute(Tensor input, Target target) {
        return attribute(input, FedInputs.none(), target);
    }

    @Override
    public Attribution attribute(Tensor input, FedInputs fed, Target target) {
        // 1. Validate, run the model once, resolve the target.
        MethodRun run = new MethodRun(model, options.batchSize(), progress, input, fed, target);
        double[] fx = run.explained();
        FeatureMask.Groups[] groups = options.featureMask().resolve(input);
        Perturbations p = new Perturbations(run, options.baseline().rowsFor(input)).incremental(options.incremental());
        // 2. Queue one ablation per example and feature, in chunks of at most CHUNK_JOBS ablations (one
        // example at least), so the queued jobs stay few however many examples; examples sharing a
        // grouping share its element sets. 3. Evaluate; each element gets f(x) - f(ablated) of its feature.
        int n = input.batchSize();
        int d = input.exampleSize();
        // each element's value, rounded to float32 as the result holds it (run.valuesOfInputShape's rounding)
        float[] out = new float[Math.multiplyExact(n, d)];
        int[][][] members = new int[n][][];
        Perturbations.ElementSet[][] sets = new Perturbations.ElementSet[n][];
        long totalRows = 0;
        for (int i = 0; i < n; i++) {
            if (i > 0 && groups[i] == groups[i - 1]) {
                members[i] = members[i - 1];
                sets[i] = sets[i - 1];
            } else {
                members[i] = Perturbations.members(groups[i]);
                sets[i] = new Perturbations.ElementSet[members[i].length];
                for (int k = 0; k < members[i].length; k++) {
                    sets[i][k] = Perturbations.ElementSet.ofFeatures(members[i], k);
                }
            }
            totalRows += (long) members[i].length * p.rowsPerJob(i);
        }
        try (EvaluationEngine.ProgressScope scope = p.progressScope(name(), totalRows)) {
            for (int a = 0; a < n; ) {
                int b = a;
                long jobs = 0;
                while (b < n && (b == a || jobs + members[b].length <= chunkJobs)) {
                    jobs += members[b].length;
                    b++;
                }
                int[] first = new int[b - a];
                for (int i = a; i < b; i++) {
                    first[i - a] = p.add(i, sets[i]);
                }
                double[] v = p.run(name());
                for (int i = a; i < b; i++) {
                    for (int e = 0; e < d; e++) {
                        out[i * d + e] = (float) (fx[i] - v[first[i - a] + groups[i].group(e)]);
                    }
                }
                a = b;
            }
        }
        Map<String, Object> opts = new LinkedHashMap<>();
        opts.put("baseline", options.baseline().describe());
        opts.put("feature_mask", options.featureMask().isElementwise() ? "elementwise" : "groups");
        opts.put("batch_size", run.batchSize());
        return run.finish(name(), Tensor.ofFloats(out, input.shape()), target, opts, OptionalLong.empty(),
                Optional.empty(), Optional.empty());
    }
}
