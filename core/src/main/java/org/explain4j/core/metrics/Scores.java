package org.explain4j.core.metrics;

import java.util.Map;
import java.util.Optional;
import org.explain4j.core.Tensor;

/**
 * A metric's result: the scores (float64; one per example, a curve per example, or one value,
 * as the metric's specification says), the parameters as they ran (defaults included), the
 * seed where draws were made, and optional curves behind the scores (deletion/insertion).
 */
public record Scores(String metric, Tensor values, Map<String, Object> parameters, Optional<Long> seed,
                     Optional<Tensor> curves, long modelEvaluations) {
    public Scores {
        if (metric == null || values == null || parameters == null || seed == null || curves == null) {
            throw new IllegalArgumentException("metric, values, parameters, seed and curves are required");
        }
        parameters = Map.copyOf(parameters);
    }
}
