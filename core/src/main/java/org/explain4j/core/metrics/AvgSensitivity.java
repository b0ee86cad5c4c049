package org.explain4j.core.metrics;

import java.util.Optional;
import org.explain4j.core.catalog.Params;

/**
 * Avg-sensitivity (Yeh et al. 2019): as Quantus's {@link MaxSensitivity} with the mean of
 * {@code r_s = ||e(x_s) - a||_2 / ||a||_2} over the noisy samples instead of the maximum.
 */
final class AvgSensitivity extends BaseMetric {
    static final String NAME = "avg-sensitivity";

    static MetricSpec spec() {
        return new MetricSpec(NAME, Category.ROBUSTNESS, "Quantus 0.6.0 AvgSensitivity",
                "average relative change of the explanation under small input noise",
                "Adds small uniform noise to the input many times, recomputes the explanation with the chosen method and "
                        + "reports the mean of ||e(x+noise) - e(x)|| / ||e(x)||. Lower is more robust.",
                MaxSensitivity.quantusParams(), false, true, true, "(N,)", Optional.of(false), AvgSensitivity::new);
    }

    AvgSensitivity(Params params) {
        super(NAME, params);
    }

    @Override
    public Scores evaluate(MetricInput in) {
        return MaxSensitivity.quantus(in, params, NAME, false);
    }
}
