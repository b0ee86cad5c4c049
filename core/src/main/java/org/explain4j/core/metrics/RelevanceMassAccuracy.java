package org.explain4j.core.metrics;

import java.util.List;
import java.util.Optional;
import org.explain4j.core.catalog.Params;

/**
 * Relevance mass accuracy (Arras et al. 2021, "CLEVR-XAI"): {@code sum(a * s) / sum(a)} (no
 * epsilon); NaN for an empty mask.
 */
final class RelevanceMassAccuracy extends MaskMetric {
    static final String NAME = "relevance-mass-accuracy";

    static MetricSpec spec() {
        return new MetricSpec(NAME, Category.LOCALISATION, "Quantus 0.6.0 RelevanceMassAccuracy",
                "share of the attribution mass inside the mask",
                "sum(a inside the mask) / sum(a), without an epsilon; NaN for an empty mask. Higher is better.",
                List.of(QuantusParams.abs(false), QuantusParams.normalise(true)), true, false, false, "(N,)",
                Optional.of(true), RelevanceMassAccuracy::new);
    }

    RelevanceMassAccuracy(Params params) {
        super(NAME, params, false);
    }

    @Override
    MaskScore scorer(ExampleData d) {
        return (a, s) -> {
            if (LocalisationSupport.count(s) == 0) {
                return Double.NaN;
            }
            double[] mass = LocalisationSupport.mass(a, s, false);
            return mass[0] / mass[1];
        };
    }
}
