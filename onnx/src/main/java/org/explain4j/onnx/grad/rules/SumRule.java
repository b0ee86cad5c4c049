package org.explain4j.onnx.grad.rules;

import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/** Sum of any number of operands: each gets the gradient summed to its shape. */
final class SumRule implements OpRule {
    @Override
    public void backward(RuleContext c) {
        for (int i = 0; i < c.inputCount(); i++) {
            if (c.needsGrad(i)) {
                c.addGrad(i, c.unbroadcast(c.grad(0), c.outputShape(0), c.inputShape(i)));
            }
        }
    }
}
