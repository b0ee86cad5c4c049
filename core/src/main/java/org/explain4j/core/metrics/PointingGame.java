package org.explain4j.core.metrics;

import java.util.List;
import java.util.Optional;
import org.explain4j.core.catalog.Params;

/**
 * Pointing game (Zhang et al. 2018, "Top-down neural attention by excitation backprop"): 1 when
 * an element holding the example's maximum attribution (every tied maximum counts) lies in the
 * mask, else 0; NaN for an empty mask (explain4j; Quantus 0.6.0 returns 1 there).
 */
final class PointingGame implements Metric {
    static final String NAME = "pointing-game";

    static MetricSpec spec() {
        return new MetricSpec(NAME, Category.LOCALISATION, "Quantus 0.6.0 PointingGame (NaN on an empty mask)",
                "1 when the attribution's maximum lies in the ground-truth mask",
                "Whether the most relevant element (any of the tied maxima) falls inside the mask: 1 or 0 per example, "
                        + "NaN when the mask is empty. Higher is better.",
                List.of(QuantusParams.abs(false), QuantusParams.normalise(true)), true, false, false, "(N,) 0/1",
                Optional.of(true), PointingGame::new);
    }

    private final Params params;

    PointingGame(Params params) {
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
            out[n] = score(a[n], s[n]);
        }
        return MetricResults.perExample(NAME, out, params, Optional.empty(), 0);
    }

    static double score(double[] a, boolean[] s) {
        if (LocalisationSupport.count(s) == 0) {
            return Double.NaN;
        }
        double max = Double.NEGATIVE_INFINITY;
        for (double v : a) {
            max = Math.max(max, v);
        }
        for (int i = 0; i < a.length; i++) {
            if (s[i] && a[i] == max) {
                return 1;
            }
        }
        return 0;
    }
}
