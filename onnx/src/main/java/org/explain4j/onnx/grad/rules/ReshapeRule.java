package org.explain4j.onnx.grad.rules;

import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/** Reshape, Flatten, Squeeze, Unsqueeze: the gradient reshaped back to the input's shape. */
final class ReshapeRule implements OpRule {
    @Override
    public void backward(RuleContext c) {
        c.addGrad(0, c.reshape(c.grad(0), c.inputShape(0)));
    }
}
