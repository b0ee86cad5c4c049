package org.explain4j.core.metrics;

import java.util.List;

/** The localisation metrics' catalogue entries. */
final class LocalisationMetrics {
    private LocalisationMetrics() {
    }

    static List<MetricSpec> specs() {
        return List.of(
                PointingGame.spec(),
                AttributionLocalisation.spec(),
                TopKIntersection.spec(),
                RelevanceRankAccuracy.spec(),
                RelevanceMassAccuracy.spec(),
                Auc.spec(),
                Focus.spec());
    }
}
