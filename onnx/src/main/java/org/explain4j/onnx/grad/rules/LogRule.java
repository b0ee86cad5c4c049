package org.explain4j.onnx.grad.rules;

import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/** Log: {@code g / x}. */
final class LogRule implements OpRule {
    @Override
    public void backward(RuleContext c) {
        c.addGrad(0, c.op("Div", c.grad(0), c.input(0)));
    }
}
