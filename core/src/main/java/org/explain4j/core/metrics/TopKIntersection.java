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
final class TopKIntersection implements Metric {
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

    private final Params params;

    TopKIntersection(Params params) {
        this.params = params;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Scores evaluate(MetricInput in) {
        ExampleData d = ExampleData.of(in);
        int k = params.integer("k");
        if (k >= d.spatial()) {
            throw Explain4jException.usage("k", "k " + k + " must be smaller than the number of features per channel ("
                    + d.spatial() + ")");
        }
        boolean[][] s = LocalisationSupport.mask(in, d, NAME);
        double[][] a = SignedZeros.canonical(Attributions.preprocess(d.a(), params.bool("normalise"), params.bool("abs")));
        double[] out = new double[d.size()];
        for (int n = 0; n < out.length; n++) {
            int size = LocalisationSupport.count(s[n]);
            if (size == 0) {
                out[n] = Double.NaN;
                continue;
            }
            int[] order = Attributions.descending(a[n]);
            int hits = 0;
            for (int i = 0; i < k; i++) {
                if (s[n][order[i]]) {
                    hits++;
                }
            }
            double score = (double) hits / k;
            if (params.bool("concept-influence")) {
                score *= (double) a[n].length / size;
            }
            out[n] = score;
        }
        return MetricResults.perExample(NAME, out, params, Optional.empty(), 0);
    }
}
