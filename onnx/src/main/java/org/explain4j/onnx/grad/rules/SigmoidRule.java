package org.explain4j.onnx.grad.rules;

import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/** Sigmoid: {@code g * y * (1 - y)}. */
final class SigmoidRule implements OpRule {
    @Override
    public void backward(RuleContext c) {
        String y = c.output(0);
        String oneMinus = c.op("Sub", c.scalar(1, c.inputType(0)), y);
        c.addGrad(0, c.op("Mul", c.grad(0), c.op("Mul", y, oneMinus)));
    }
}
