package org.explain4j.onnx.grad.rules;

import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/** Neg: {@code -g}. */
final class NegRule implements OpRule {
    @Override
    public void backward(RuleContext c) {
        c.addGrad(0, c.op("Neg", c.grad(0)));
    }
}
