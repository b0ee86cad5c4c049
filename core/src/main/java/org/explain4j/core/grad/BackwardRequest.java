package org.explain4j.core.grad;

import java.util.List;
import java.util.Map;
import org.explain4j.core.Tensor;

/**
 * What a backward pass should compute besides the output and the vector-Jacobian product with
 * respect to the input.
 *
 * @param rules    how each operation propagates (the plain gradient by default)
 * @param captures names of intermediate tensors whose activations and VJPs are wanted
 * @param feeds    intermediate tensors whose values are supplied instead of computed (layer
 *                 integrated gradients, conductance): each consumer of such a tensor reads the
 *                 fed value, while other paths still compute from the input; the VJP of a fed
 *                 tensor is the gradient with respect to the fed value
 * @param inputGradient whether the VJP with respect to the model input is wanted
 */
public record BackwardRequest(RuleSet rules, List<String> captures, Map<String, Tensor> feeds, boolean inputGradient) {
    public BackwardRequest {
        if (rules == null || captures == null || feeds == null) {
            throw new IllegalArgumentException("rules, captures and feeds are required");
        }
        captures = List.copyOf(captures);
        feeds = Map.copyOf(feeds);
    }

    /** The plain input gradient. */
    public static BackwardRequest gradientOfInput() {
        return new BackwardRequest(RuleSet.gradient(), List.of(), Map.of(), true);
    }

    public BackwardRequest withRules(RuleSet r) {
        return new BackwardRequest(r, captures, feeds, inputGradient);
    }

    public BackwardRequest withCaptures(List<String> c) {
        return new BackwardRequest(rules, c, feeds, inputGradient);
    }

    public BackwardRequest withFeeds(Map<String, Tensor> f) {
        return new BackwardRequest(rules, captures, f, inputGradient);
    }

    public BackwardRequest withInputGradient(boolean g) {
        return new BackwardRequest(rules, captures, feeds, g);
    }
}
