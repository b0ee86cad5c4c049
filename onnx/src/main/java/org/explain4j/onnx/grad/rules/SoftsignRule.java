package org.explain4j.onnx.grad.rules;

import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/** Softsign (ONNX opset 1), {@code y = x / (1 + |x|)}: {@code dy/dx = 1 / (1 + |x|)^2}. */
final class SoftsignRule implements OpRule {
    @Override
    public void backward(RuleContext c) {
        String d = c.op("Add", c.op("Abs", c.input(0)), c.scalar(1, c.inputType(0)));
        c.addGrad(0, c.op("Div", c.grad(0), c.op("Mul", d, d)));
    }
}
