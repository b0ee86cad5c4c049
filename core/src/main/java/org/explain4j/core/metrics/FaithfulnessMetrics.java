package org.explain4j.core.metrics;

import java.util.List;

/** The faithfulness metrics' catalogue entries. */
final class FaithfulnessMetrics {
    private FaithfulnessMetrics() {
    }

    static List<MetricSpec> specs() {
        return List.of();
    }
}
