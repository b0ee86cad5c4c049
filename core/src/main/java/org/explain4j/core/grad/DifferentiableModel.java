package org.explain4j.core.grad;

import org.explain4j.core.Tensor;
import org.explain4j.core.model.Model;

/**
 * A model that can also run a backward pass: given a batch and a seed {@code [N, C]} over the
 * outputs, it returns the vector-Jacobian product {@code seed^T d output / d input} (and of any
 * requested intermediate tensors), under a {@link RuleSet} that may replace the gradient of
 * some operations by a propagation rule.
 */
public interface DifferentiableModel extends Model {
    /** Runs the forward and backward pass on one batch. */
    BackwardResult backward(Tensor input, Tensor seed, BackwardRequest request);

    /**
     * A hint that backward passes of {@code request} at input shape {@code inputShape} will come:
     * a model may start making what they need (graph, session) in the background, while the
     * caller does other work (the target's forward pass). Results must not depend on it: the later
     * {@link #backward} call waits for that work or does it itself, and reports any error of it
     * exactly as without the hint. The default does nothing.
     */
    default void prepare(BackwardRequest request, int... inputShape) {
    }
}
