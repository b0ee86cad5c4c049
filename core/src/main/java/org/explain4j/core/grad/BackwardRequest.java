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
 * @param inputs   the model's other inputs by name, laid out for this batch (attention masks,
 *                 recurrent state; see {@code FedInputs}); no gradient flows to them
 */
public record BackwardRequest(RuleSet rules, List<String> captures, Map<String, Tensor> feeds, boolean inputGradient,
                              Map<String, Tensor> inputs) {
    public BackwardRequest {
        if (rules == null || captures == null || feeds == null || inputs == null) {
            throw new IllegalArgumentException("rules, captures, feeds and inputs are required");
        }
        captures = List.copyOf(captures);
        feeds = Map.copyOf(feeds);
        inputs = Map.copyOf(inputs);
    }

    /** A request for a model with a single input. */
    public BackwardRequest(RuleSet rules, List<String> captures, Map<String, Tensor> feeds, boolean inputGradient) {
        this(rules, captures, feeds, inputGradient, Map.of());
    }

    /** The plain input gradient. */
    public static BackwardRequest gradientOfInput() {
        return new BackwardRequest(RuleSet.gradient(), List.of(), Map.of(), true);
    }

    public BackwardRequest withRules(RuleSet r) {
        return new BackwardRequest(r, captures, feeds, inputGradient, inputs);
    }

    public BackwardRequest withCaptures(List<String> c) {
        return new BackwardRequest(rules, c, feeds, inputGradient, inputs);
    }

    public BackwardRequest withFeeds(Map<String, Tensor> f) {
        return new BackwardRequest(rules, captures, f, inputGradient, inputs);
    }

    /** The same request with the model's other inputs fed. */
    public BackwardRequest withInputs(Map<String, Tensor> fed) {
        return new BackwardRequest(rules, captures, feeds, inputGradient, fed);
    }

    public BackwardRequest withInputGradient(boolean g) {
        return new BackwardRequest(rules, captures, feeds, g, inputs);
    }
}
