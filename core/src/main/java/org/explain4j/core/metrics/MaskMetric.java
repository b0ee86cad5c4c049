package org.explain4j.core.metrics;

import java.util.Optional;
import org.explain4j.core.catalog.Params;

/**
 * A localisation metric: each example scored from its preprocessed attribution and its
 * ground-truth mask (non-zero = inside), no model call, one value per example. The order of the
 * checks is the same for all: the data's own checks ({@link #scorer}), then the mask's presence.
 */
abstract class MaskMetric extends BaseMetric {
    /** Scores one example: its preprocessed attribution and mask row. */
    interface MaskScore {
        double score(double[] a, boolean[] s);
    }

    private final boolean canonicalZeros;

    /**
     * {@code canonicalZeros}: the metric orders or ranks attribution values, so -0.0 is first
     * made 0.0 ({@link SignedZeros}) so that the two tie, as in NumPy and SciPy.
     */
    MaskMetric(String name, Params params, boolean canonicalZeros) {
        super(name, params);
        this.canonicalZeros = canonicalZeros;
    }

    /** The per-example score for the data of this call (a check of the data throws here, before the mask is read). */
    abstract MaskScore scorer(ExampleData d);

    @Override
    public final Scores evaluate(MetricInput in) {
        ExampleData d = ExampleData.of(in);
        MaskScore score = scorer(d);
        boolean[][] s = LocalisationSupport.mask(in, d, name);
        double[][] a = preprocessed(d);
        if (canonicalZeros) {
            a = SignedZeros.canonical(a);
        }
        double[] out = new double[d.size()];
        for (int n = 0; n < out.length; n++) {
            out[n] = score.score(a[n], s[n]);
        }
        return perExample(out, Optional.empty(), 0);
    }
}
