package org.explain4j.onnx.grad.rules;

import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/** Expand: the gradient summed over the broadcast axes. */
final class ExpandRule implements OpRule {
    @Override
    public void backward(RuleContext c) {
        c.addGrad(0, c.unbroadcast(c.grad(0), c.outputShape(0), c.inputShape(0)));
    }
}
