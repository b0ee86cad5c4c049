package org.explain4j.core.metrics;

import java.util.List;
import java.util.Optional;
import org.explain4j.core.catalog.Params;

/**
 * AUC (Fawcett 2006, "An introduction to ROC analysis"): the area under the ROC curve of the
 * attribution as a score for the mask (scikit-learn's {@code roc_curve} + {@code auc}), i.e.
 * {@code P(a_in > a_out) + 0.5 P(a_in = a_out)} over all (inside, outside) pairs. NaN when the
 * mask is empty or full (there is no pair).
 */
final class Auc extends MaskMetric {
    static final String NAME = "auc";

    static MetricSpec spec() {
        return new MetricSpec(NAME, Category.LOCALISATION, "Quantus 0.6.0 AUC",
                "ROC AUC of the attribution as a detector of the ground-truth mask",
                "The probability that an element inside the mask has a larger attribution than one outside (ties "
                        + "count half); 0.5 is chance. NaN for an empty or full mask. Higher is better.",
                List.of(QuantusParams.abs(false), QuantusParams.normalise(true)), true, false, false, "(N,)",
                Optional.of(true), Auc::new);
    }

    Auc(Params params) {
        super(NAME, params, true);
    }

    @Override
    MaskScore scorer(ExampleData d) {
        return Auc::auc;
    }

    /** Mann-Whitney form of the ROC AUC: average ranks of the positives (ties averaged). */
    static double auc(double[] a, boolean[] s) {
        int pos = LocalisationSupport.count(s);
        int neg = a.length - pos;
        if (pos == 0 || neg == 0) {
            return Double.NaN;
        }
        double[] r = Correlations.ranks(a);
        double sum = 0;
        for (int i = 0; i < a.length; i++) {
            if (s[i]) {
                sum += r[i];
            }
        }
        return (sum - pos * (pos + 1) / 2.0) / ((double) pos * neg);
    }
}
