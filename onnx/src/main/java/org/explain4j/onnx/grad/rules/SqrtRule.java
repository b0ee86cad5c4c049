package org.explain4j.onnx.grad.rules;

import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/** Sqrt: {@code g / (2 y)}. */
final class SqrtRule implements OpRule {
    @Override
    public void backward(RuleContext c) {
        String half = c.op("Mul", c.grad(0), c.scalar(0.5, c.inputType(0)));
        c.addGrad(0, c.op("Div", half, c.output(0)));
    }
}
