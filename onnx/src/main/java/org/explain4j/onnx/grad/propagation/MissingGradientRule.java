package org.explain4j.onnx.grad.propagation;

import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;
import org.explain4j.onnx.grad.Unsupported;

/**
 * The {@code gradient} rule of an op type that has no gradient rule in explain4j: building the
 * graph fails with one line naming the op, the node and the opset.
 */
final class MissingGradientRule implements OpRule {
    @Override
    public void backward(RuleContext c) {
        throw new Refusal(c.opType() + " node '" + c.nodeName() + "' (opset " + c.opset()
                + ") has no gradient rule in explain4j, but the rule set asks for its gradient; "
                + Unsupported.perturbationHint());
    }
}
