package org.explain4j.core.grad;

import java.util.List;
import java.util.Map;
import org.explain4j.core.Tensor;

/**
 * A model that can return intermediate tensors from a forward pass alone. Methods that need a
 * layer's values but not its gradient (layer integrated gradients' endpoints) use it through
 * {@code GradientEngine.capture}; models without it run a backward pass with a zero seed instead.
 */
public interface ActivationCapture {
    /**
     * Runs the model on a batch and returns its output {@code [N, C]} and the value of each tensor
     * named in {@code tensors} (as {@link BackwardResult#activations()}; no gradients).
     *
     * @param inputs the model's other inputs by name, laid out for this batch
     */
    BackwardResult capture(Tensor input, List<String> tensors, Map<String, Tensor> inputs);
}
