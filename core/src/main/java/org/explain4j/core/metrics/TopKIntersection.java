package org.explain4j.core.metrics;

import java.util.List;
import java.util.Optional;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.catalog.ParamSpec;
import org.explain4j.core.catalog.Params;

/**
 * Top-k intersection (Theiner et al. 2021, "Interpretable semantic photo geolocalization"): the
 * fraction of the k most relevant elements (descending) that lie in the mask; with
 * {@code concept-influence}, times {@code F / |s|}. NaN for an empty mask; k must be below H*W.
 */
final class TopKIntersection extends MaskMetric {
    static final String NAME = "top-k-intersection";

    static MetricSpec spec() {
        return new MetricSpec(NAME, Category.LOCALISATION, "Quantus 0.6.0 TopKIntersection",
                "fraction of the k most relevant elements inside the ground-truth mask",
                "Takes the k elements with the largest attribution and counts the share that lies in the mask; "
                        + "NaN for an empty mask. Higher is better.",
                List.of(ParamSpec.integer("k", 1000, ParamSpec.Range.atLeast(1), "number of top elements (below H*W)"),
                        ParamSpec.bool("concept-influence", false, "multiply by the number of features over the mask's size"),
                        QuantusParams.abs(false), QuantusParams.normalise(true)),
                true, false, false, "(N,)", Optional.of(true), TopKIntersection::new);
    }

    TopKIntersection(Params params) {
        super(NAME, params, true);
    }

    @Override
    MaskScore scorer(ExampleData d) {
        int k = params.integer("k");
        if (k >= d.spatial()) {
            throw Explain4jException.usage("k", "k " + k + " must be smaller than the number of features per channel ("
                    + d.spatial() + ")");
        }
        boolean conceptInfluence = params.bool("concept-influence");
        return (a, s) -> {
            int size = LocalisationSupport.count(s);
            if (size == 0) {
                return Double.NaN;
            }
            double score = (double) LocalisationSupport.topHits(a, s, k) / k;
            if (conceptInfluence) {
                score *= (double) a.length / size;
            }
            return score;
        };
    }
}
