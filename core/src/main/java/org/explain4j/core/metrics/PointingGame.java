package org.explain4j.core.metrics;

import java.util.List;
import java.util.Optional;
import org.explain4j.core.catalog.Params;

/**
 * Pointing game (Zhang et al. 2018, "Top-down neural attention by excitation backprop"): 1 when
 * an element holding the example's maximum attribution (every tied maximum counts) lies in the
 * mask, else 0; NaN for an empty mask (explain4j; Quantus 0.6.0 returns 1 there).
 */
final class PointingGame extends MaskMetric {
    static final String NAME = "pointing-game";

    static MetricSpec spec() {
        return new MetricSpec(NAME, Category.LOCALISATION, "Quantus 0.6.0 PointingGame (NaN on an empty mask)",
                "1 when the attribution's maximum lies in the ground-truth mask",
                "Whether the most relevant element (any of the tied maxima) falls inside the mask: 1 or 0 per example, "
                        + "NaN when the mask is empty. Higher is better.",
                List.of(QuantusParams.abs(false), QuantusParams.normalise(true)), true, false, false, "(N,) 0/1",
                Optional.of(true), PointingGame::new);
    }

    PointingGame(Params params) {
        super(NAME, params, false);
    }

    @Override
    MaskScore scorer(ExampleData d) {
        return PointingGame::score;
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
