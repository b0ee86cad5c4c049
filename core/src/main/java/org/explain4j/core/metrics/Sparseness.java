package org.explain4j.core.metrics;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.explain4j.core.catalog.Params;

/**
 * Sparseness (Chalasani et al. 2020, "Concise explanations of neural networks using adversarial
 * training"): the Gini index of {@code v = sort(a + 1e-7)} ascending,
 * {@code sum_i (2i - n - 1) v_i / (n sum v)}, i = 1..n.
 */
final class Sparseness extends AttributionScoreMetric {
    static final String NAME = "sparseness";

    static MetricSpec spec() {
        return new MetricSpec(NAME, Category.COMPLEXITY, "Quantus 0.6.0 Sparseness",
                "Gini index of the attribution: 1 when one feature holds all relevance",
                "The Gini index of |a|: near 0 when relevance is spread evenly, near 1 when few features hold it. "
                        + "Higher means a sparser, easier to read explanation.",
                List.of(QuantusParams.abs(true), QuantusParams.normalise(true)), false, false, false, "(N,)",
                Optional.of(true), Sparseness::new);
    }

    Sparseness(Params params) {
        super(NAME, params);
    }

    @Override
    double score(double[] a) {
        return gini(a);
    }

    static double gini(double[] a) {
        double[] v = new double[a.length];
        for (int i = 0; i < v.length; i++) {
            v[i] = a[i] + 1e-7;
        }
        Arrays.sort(v);
        int n = v.length;
        double num = 0;
        double sum = 0;
        for (int i = 0; i < n; i++) {
            num += (2.0 * (i + 1) - n - 1) * v[i];
            sum += v[i];
        }
        return num / (n * sum);
    }
}
