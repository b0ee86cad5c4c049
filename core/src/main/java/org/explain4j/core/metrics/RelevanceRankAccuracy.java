package org.explain4j.core.metrics;

import java.util.List;
import java.util.Optional;
import org.explain4j.core.catalog.Params;

/**
 * Relevance rank accuracy (Arras et al. 2021, "CLEVR-XAI"): with K = |s| elements in the mask,
 * the fraction of the K most relevant elements (descending) that lie in it; NaN for an empty mask.
 */
final class RelevanceRankAccuracy implements Metric {
    static final String NAME = "relevance-rank-accuracy";

    static MetricSpec spec() {
        return new MetricSpec(NAME, Category.LOCALISATION, "Quantus 0.6.0 RelevanceRankAccuracy",
                "fraction of the |mask| most relevant elements inside the mask",
                "With K elements in the mask, the share of the K highest-attributed elements that lie in it; "
                        + "NaN for an empty mask. Higher is better.",
                List.of(QuantusParams.abs(false), QuantusParams.normalise(true)), true, false, false, "(N,)",
                Optional.of(true), RelevanceRankAccuracy::new);
    }

    private final Params params;

    RelevanceRankAccuracy(Params params) {
        this.params = params;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Scores evaluate(MetricInput in) {
        ExampleData d = ExampleData.of(in);
        boolean[][] s = LocalisationSupport.mask(in, d, NAME);
        double[][] a = SignedZeros.canonical(Attributions.preprocess(d.a(), params.bool("normalise"), params.bool("abs")));
        double[] out = new double[d.size()];
        for (int n = 0; n < out.length; n++) {
            int k = LocalisationSupport.count(s[n]);
            if (k == 0) {
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
            out[n] = (double) hits / k;
        }
        return MetricResults.perExample(NAME, out, params, Optional.empty(), 0);
    }
}
