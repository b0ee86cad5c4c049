package org.explain4j.core.metrics;

import java.util.List;
import java.util.Optional;
import org.explain4j.core.catalog.Params;

/**
 * Complexity (Bhatt et al. 2020, "Evaluating and aggregating feature-based model explanations"):
 * the entropy of the fractional contributions {@code p = a / sum|a|},
 * {@code -sum p ln(p + 1e-12)}.
 */
final class Complexity extends AttributionScoreMetric {
    static final String NAME = "complexity";

    static MetricSpec spec() {
        return new MetricSpec(NAME, Category.COMPLEXITY, "Quantus 0.6.0 Complexity",
                "entropy of the attribution's share per feature: low when few features matter",
                "The Shannon entropy (nats) of |a| / sum |a|: 0 when one feature holds all relevance, ln(F) when all "
                        + "features share it equally. Lower is simpler.",
                List.of(QuantusParams.abs(true), QuantusParams.normalise(true)), false, false, false, "(N,)",
                Optional.of(false), Complexity::new);
    }

    Complexity(Params params) {
        super(NAME, params);
    }

    @Override
    double score(double[] a) {
        return entropy(a);
    }

    static double entropy(double[] a) {
        double total = 0;
        for (double v : a) {
            total += Math.abs(v);
        }
        double h = 0;
        for (double v : a) {
            double p = v / total;
            h -= p * Math.log(p + 1e-12);
        }
        return h;
    }
}
