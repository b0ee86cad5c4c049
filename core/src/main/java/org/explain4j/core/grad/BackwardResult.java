package org.explain4j.core.grad;

import java.util.Map;
import java.util.Optional;
import org.explain4j.core.Tensor;

/**
 * The result of a backward pass.
 *
 * @param output        the model's output {@code [N, C]}
 * @param inputGradient the VJP with respect to the input (the input's shape), where requested
 * @param activations   the value of each captured (or fed) tensor
 * @param gradients     the VJP with respect to each captured or fed tensor
 */
public record BackwardResult(Tensor output, Optional<Tensor> inputGradient, Map<String, Tensor> activations,
                             Map<String, Tensor> gradients) {
    public BackwardResult {
        if (output == null || inputGradient == null || activations == null || gradients == null) {
            throw new IllegalArgumentException("fields must not be null");
        }
        activations = Map.copyOf(activations);
        gradients = Map.copyOf(gradients);
    }
}
