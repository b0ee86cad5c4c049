package org.explain4j.onnx.grad.rules;

import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/** Reciprocal: {@code -g * y^2}. */
final class ReciprocalRule implements OpRule {
    @Override
    public void backward(RuleContext c) {
        String y = c.output(0);
        c.addGrad(0, c.op("Neg", c.op("Mul", c.grad(0), c.op("Mul", y, y))));
    }
}
