package org.explain4j.onnx.grad.rules;

import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/** Tanh: {@code g * (1 - y^2)}. */
final class TanhRule implements OpRule {
    @Override
    public void backward(RuleContext c) {
        String y = c.output(0);
        String oneMinus = c.op("Sub", c.scalar(1, c.inputType(0)), c.op("Mul", y, y));
        c.addGrad(0, c.op("Mul", c.grad(0), oneMinus));
    }
}
