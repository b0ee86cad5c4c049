package org.explain4j.core.metrics;

import java.util.List;
import java.util.Optional;
import org.explain4j.core.catalog.Params;

/**
 * Relevance rank accuracy (Arras et al. 2021, "CLEVR-XAI"): with K = |s| elements in the mask,
 * the fraction of the K most relevant elements (descending) that lie in it; NaN for an empty mask.
 */
final class RelevanceRankAccuracy extends MaskMetric {
    static final String NAME = "relevance-rank-accuracy";

    static MetricSpec spec() {
        return new MetricSpec(NAME, Category.LOCALISATION, "Quantus 0.6.0 RelevanceRankAccuracy",
                "fraction of the |mask| most relevant elements inside the mask",
                "With K elements in the mask, the share of the K highest-attributed elements that lie in it; "
                        + "NaN for an empty mask. Higher is better.",
                List.of(QuantusParams.abs(false), QuantusParams.normalise(true)), true, false, false, "(N,)",
                Optional.of(true), RelevanceRankAccuracy::new);
    }

    RelevanceRankAccuracy(Params params) {
        super(NAME, params, true);
    }

    @Override
    MaskScore scorer(ExampleData d) {
        return (a, s) -> {
            int k = LocalisationSupport.count(s);
            if (k == 0) {
                return Double.NaN;
            }
            return (double) LocalisationSupport.topHits(a, s, k) / k;
        };
    }
}
