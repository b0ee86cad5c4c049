package org.explain4j.core.metrics;

import java.util.List;
import java.util.Optional;
import org.explain4j.core.catalog.Params;

/**
 * Relevance mass accuracy (Arras et al. 2021, "CLEVR-XAI"): {@code sum(a * s) / sum(a)} (no
 * epsilon); NaN for an empty mask.
 */
final class RelevanceMassAccuracy implements Metric {
    static final String NAME = "relevance-mass-accuracy";

    static MetricSpec spec() {
        return new MetricSpec(NAME, Category.LOCALISATION, "Quantus 0.6.0 RelevanceMassAccuracy",
                "share of the attribution mass inside the mask",
                "sum(a inside the mask) / sum(a), without an epsilon; NaN for an empty mask. Higher is better.",
                List.of(QuantusParams.abs(false), QuantusParams.normalise(true)), true, false, false, "(N,)",
                Optional.of(true), RelevanceMassAccuracy::new);
    }

    private final Params params;

    RelevanceMassAccuracy(Params params) {
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
        double[][] a = Attributions.preprocess(d.a(), params.bool("normalise"), params.bool("abs"));
        double[] out = new double[d.size()];
        for (int n = 0; n < out.length; n++) {
            if (LocalisationSupport.count(s[n]) == 0) {
                out[n] = Double.NaN;
                continue;
            }
            double inside = 0;
            double total = 0;
            for (int i = 0; i < a[n].length; i++) {
                total += a[n][i];
                if (s[n][i]) {
                    inside += a[n][i];
                }
            }
            out[n] = inside / total;
        }
        return MetricResults.perExample(NAME, out, params, Optional.empty(), 0);
    }
}
