package org.explain4j.core.metrics;

import java.util.List;

/** The faithfulness metrics' catalogue entries. */
final class FaithfulnessMetrics {
    private FaithfulnessMetrics() {
    }

    static List<MetricSpec> specs() {
        return List.of(FaithfulnessCorrelation.spec(), FaithfulnessEstimate.spec(), Monotonicity.spec(),
                MonotonicityCorrelation.spec(), PixelFlipping.spec(), RegionPerturbation.spec(), Selectivity.spec(),
                SensitivityN.spec(), Irof.spec(), Infidelity.spec(), Road.spec(), Sufficiency.spec(), CausalMetric.spec(false),
                CausalMetric.spec(true));
    }
}
