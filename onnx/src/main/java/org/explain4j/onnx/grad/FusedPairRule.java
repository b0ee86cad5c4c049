package org.explain4j.onnx.grad;

import ai.onnx.proto.OnnxMl.NodeProto;

/**
 * The backward rule of two nodes taken together: a producer whose output is read only by the
 * consumer (and is neither a graph output nor requested, captured or fed). The builder looks for
 * such pairs after choosing every node's rule, and where a registered pair rule
 * {@linkplain #matches matches} the two nodes and their chosen rules, it calls
 * {@link #backward} once for both, at the consumer's turn; the producer then emits nothing of its
 * own. Used only for the faster formulations ({@link BackwardGraphBuilder#plainRules()} turns
 * pairs off), so a pair rule must compute exactly what the two single rules compute.
 */
public interface FusedPairRule {
    /** Whether this rule handles {@code producer} (rule {@code producerRule}) feeding {@code consumer} (rule {@code consumerRule}). */
    boolean matches(NodeProto producer, OpRule producerRule, NodeProto consumer, OpRule consumerRule);

    /**
     * Emits the pair's backward nodes: the gradient arrives at {@code consumer.grad(..)} and leaves
     * through {@code producer.addGrad(..)} (the producer's own output gradients are all null).
     */
    void backward(RuleContext producer, RuleContext consumer);

    /** The lowest default-domain opset the emitted nodes need. */
    default int minOpset() {
        return 11;
    }
}
