package org.explain4j.core.metrics;

import java.util.List;

/** The complexity metrics' catalogue entries. */
final class ComplexityMetrics {
    private ComplexityMetrics() {
    }

    static List<MetricSpec> specs() {
        return List.of(
                Sparseness.spec(),
                Complexity.spec(),
                EffectiveComplexity.spec());
    }
}
