package org.explain4j.onnx.grad;

/**
 * The backward rule of one ONNX operation type: given the gradients flowing into the outputs of a
 * forward node, it emits the nodes that compute the vector-Jacobian products for the node's
 * inputs and hands them to {@link RuleContext#addGrad}. A rule only works on the inputs for which
 * {@link RuleContext#needsGrad} is true and never computes weight gradients that nobody asked for.
 */
@FunctionalInterface
public interface OpRule {

    /** Emits the backward nodes of {@code ctx.node()}. */
    void backward(RuleContext ctx);

    /** The lowest default-domain opset the emitted nodes need (e.g. 16 for a ScatterElements with reduction). */
    default int minOpset() {
        return 11;
    }
}
