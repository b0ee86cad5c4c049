package org.explain4j.core.metrics;

import java.util.List;

/** The robustness metrics' catalogue entries. */
final class RobustnessMetrics {
    private RobustnessMetrics() {
    }

    static List<MetricSpec> specs() {
        return List.of(
                MaxSensitivity.spec(),
                AvgSensitivity.spec(),
                LocalLipschitzEstimate.spec(),
                Continuity.spec(),
                RelativeInputStability.spec(),
                RelativeOutputStability.spec(),
                Consistency.spec());
    }
}
