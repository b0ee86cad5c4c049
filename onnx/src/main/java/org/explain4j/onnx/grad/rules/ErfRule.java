package org.explain4j.onnx.grad.rules;

import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/** Erf: {@code g * 2/sqrt(pi) * exp(-x^2)}. */
final class ErfRule implements OpRule {
    @Override
    public void backward(RuleContext c) {
        int t = c.inputType(0);
        String x = c.input(0);
        String gauss = c.op("Exp", c.op("Neg", c.op("Mul", x, x)));
        String scaled = c.op("Mul", gauss, c.scalar(2 / Math.sqrt(Math.PI), t));
        c.addGrad(0, c.op("Mul", c.grad(0), scaled));
    }
}
