package org.explain4j.core.metrics;

import java.util.List;

/** The randomisation metrics' catalogue entries. */
final class RandomisationMetrics {
    private RandomisationMetrics() {
    }

    static List<MetricSpec> specs() {
        return List.of(
                Mprt.spec(),
                RandomLogit.spec(),
                SmoothMprt.spec(),
                EfficientMprt.spec());
    }
}
