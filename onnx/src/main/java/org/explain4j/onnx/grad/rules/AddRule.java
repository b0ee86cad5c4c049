package org.explain4j.onnx.grad.rules;

import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/**
 * Add, and Sub when {@code subtract} is set (the second operand then gets {@code -g}): the
 * gradient, summed over the broadcast axes of each operand.
 */
final class AddRule implements OpRule {
    private final boolean subtract;

    AddRule(boolean subtract) {
        this.subtract = subtract;
    }

    @Override
    public void backward(RuleContext c) {
        long[] out = c.outputShape(0);
        if (c.needsGrad(0)) {
            c.addGrad(0, c.unbroadcast(c.grad(0), out, c.inputShape(0)));
        }
        if (c.needsGrad(1)) {
            String g = subtract ? c.op("Neg", c.grad(0)) : c.grad(0);
            c.addGrad(1, c.unbroadcast(g, out, c.inputShape(1)));
        }
    }
}
