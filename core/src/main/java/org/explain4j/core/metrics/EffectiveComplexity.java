package org.explain4j.core.metrics;

import java.util.List;
import java.util.Optional;
import org.explain4j.core.catalog.ParamSpec;
import org.explain4j.core.catalog.Params;

/**
 * Effective complexity (Nguyen and Rodriguez Martinez 2020, "On quantitative aspects of model
 * interpretability"): the number of features whose preprocessed attribution exceeds {@code eps}.
 */
final class EffectiveComplexity extends AttributionScoreMetric {
    static final String NAME = "effective-complexity";

    static MetricSpec spec() {
        return new MetricSpec(NAME, Category.COMPLEXITY, "Quantus 0.6.0 EffectiveComplexity",
                "number of features with relevance above eps",
                "Counts the features whose (normalised, absolute) attribution exceeds eps. Lower is simpler.",
                List.of(ParamSpec.real("eps", 1e-5, ParamSpec.Range.ANY, "threshold on the preprocessed attribution"),
                        QuantusParams.abs(true), QuantusParams.normalise(true)),
                false, false, false, "(N,) count", Optional.of(false), EffectiveComplexity::new);
    }

    private final double eps;

    EffectiveComplexity(Params params) {
        super(NAME, params);
        this.eps = params.real("eps");
    }

    @Override
    double score(double[] a) {
        int c = 0;
        for (double v : a) {
            if (v > eps) {
                c++;
            }
        }
        return c;
    }
}
