package org.explain4j.onnx.grad.rules;

import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/** Exp: {@code g * y}. */
final class ExpRule implements OpRule {
    @Override
    public void backward(RuleContext c) {
        c.addGrad(0, c.op("Mul", c.grad(0), c.output(0)));
    }
}
