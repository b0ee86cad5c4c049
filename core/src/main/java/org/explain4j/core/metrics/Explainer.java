package org.explain4j.core.metrics;

import org.explain4j.core.Tensor;
import org.explain4j.core.model.Model;

/**
 * Recomputes an explanation, for the metrics that re-explain (robustness, randomisation, some
 * axiomatic ones): the method chosen for the evaluation (e.g. {@code --method saliency}) applied
 * to {@code model} (the evaluated model, or a randomised copy of it) on {@code input} for
 * {@code targets} (one class per example). The result has the input's shape and is not yet
 * preprocessed (the metric applies its own normalise/abs).
 */
@FunctionalInterface
public interface Explainer {
    Tensor explain(Model model, Tensor input, int[] targets);
}
