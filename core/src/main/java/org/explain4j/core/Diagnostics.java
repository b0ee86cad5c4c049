package org.explain4j.core;

import java.time.Duration;
import java.util.Optional;

/**
 * What a run measured about itself.
 *
 * @param modelEvaluations  examples passed through the model (forward or backward)
 * @param elapsed           wall-clock time of the run
 * @param completenessGap   per example, {@code sum(attributions) - (f(x) - f(baseline))}, for
 *                          methods whose attributions should sum to that difference
 * @param surrogateFit      per example, the weighted R^2 of a surrogate model (LIME)
 */
public record Diagnostics(long modelEvaluations, Duration elapsed, Optional<double[]> completenessGap,
                          Optional<double[]> surrogateFit) {
    public Diagnostics {
        if (elapsed == null || completenessGap == null || surrogateFit == null) {
            throw new IllegalArgumentException("elapsed, completenessGap and surrogateFit must not be null");
        }
        completenessGap = completenessGap.map(double[]::clone);
        surrogateFit = surrogateFit.map(double[]::clone);
    }

    @Override
    public Optional<double[]> completenessGap() {
        return completenessGap.map(double[]::clone);
    }

    @Override
    public Optional<double[]> surrogateFit() {
        return surrogateFit.map(double[]::clone);
    }
}
