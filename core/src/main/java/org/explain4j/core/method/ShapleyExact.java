package org.explain4j.core.method;

import org.explain4j.core.Attribution;
import org.explain4j.core.Baseline;
import org.explain4j.core.FeatureMask;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.model.FedInputs;
import org.explain4j.core.engine.BatchSize;
import org.explain4j.core.engine.EvaluationEngine;
import org.explain4j.core.engine.ProgressListener;
import org.explain4j.core.model.Model;

/**
 * Exact Shapley values (Shapley, 1953) of the features (elements or mask groups) from all
 * {@code 2^M} coalitions, the value of a coalition being the explained output with the absent
 * features set to the baseline: {@code phi_i = sum_{S not containing i} |S|! (M-|S|-1)! / M!
 * (v(S + i) - v(S))}. Refused beyond {@value ShapleyValueSampling#MAX_EXACT_FEATURES} features;
 * {@link ShapleyValueSampling} estimates the same values by sampling.
 */
public final class ShapleyExact implements AttributionMethod {
    /**
     * Options; see {@link #defaults()}. {@code incremental}: as in {@link ShapleyValueSampling.Options}
     * (a dense first layer updated by the absent elements where that is at most half its work); on by
     * default.
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

        /** Zero baseline, one feature per element. */
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

        /** Incremental inference on (where the model offers it) or off (a whole forward pass per coalition). */
        public Options withIncremental(boolean on) {
            return new Options(baseline, featureMask, batchSize, on);
        }
    }

    private final ShapleyValueSampling enumeration;

    public ShapleyExact(Model model, Options options, ProgressListener progress) {
        this.enumeration = new ShapleyValueSampling(name(), model, ShapleyValueSampling.Options.defaults()
                .withBaseline(options.baseline()).withFeatureMask(options.featureMask())
                .withExact(ShapleyValueSampling.Exact.ALWAYS).withBatchSize(options.batchSize())
                .withIncremental(options.incremental()), progress);
    }

    public ShapleyExact(Model model, Options options) {
        this(model, options, ProgressListener.NONE);
    }

    @Override
    public String name() {
        return "shapley-exact";
    }

    @Override
    public Attribution attribute(Tensor input, Target target) {
        return attribute(input, FedInputs.none(), target);
    }

    @Override
    public Attribution attribute(Tensor input, FedInputs fed, Target target) {
        return enumeration.attribute(input, fed, target);
    }
}
