package org.explain4j.core.metrics;

import java.util.Optional;
import org.explain4j.core.Tensor;
import org.explain4j.core.engine.ProgressListener;
import org.explain4j.core.model.Model;

/**
 * Everything a metric is evaluated on.
 *
 * @param model       the model (implements {@link Randomisable} when its weights can be randomised)
 * @param input       the inputs, shape {@code (N, ...)}
 * @param attribution the attributions to score, the input's shape, as given (not preprocessed)
 * @param targets     the explained class per example
 * @param mask        the ground-truth mask of localisation metrics, the input's shape (0/1)
 * @param explainer   the method that re-explaining metrics call
 * @param seed        the seed of the metric's own random draws
 * @param batchSize   most rows per model call
 * @param progress    progress of long evaluations
 */
public record MetricInput(Model model, Tensor input, Tensor attribution, int[] targets, Optional<Tensor> mask,
                          Optional<Explainer> explainer, long seed, int batchSize, ProgressListener progress) {
    public MetricInput {
        if (model == null || input == null || attribution == null || targets == null || mask == null || explainer == null
                || progress == null) {
            throw new IllegalArgumentException("model, input, attribution, targets, mask, explainer and progress are required");
        }
        targets = targets.clone();
    }

    @Override
    public int[] targets() {
        return targets.clone();
    }
}
