package org.explain4j.core.metrics;

import java.util.List;

/** The axiomatic metrics' catalogue entries. */
final class AxiomaticMetrics {
    private AxiomaticMetrics() {
    }

    static List<MetricSpec> specs() {
        return List.of(
                Completeness.spec(),
                NonSensitivity.spec(),
                InputInvariance.spec());
    }
}
