package org.explain4j.onnx.grad.rules;

import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/** Div {@code y = a / b}: {@code g / b} for {@code a} and {@code -g * y / b} for {@code b}. */
final class DivRule implements OpRule {
    @Override
    public void backward(RuleContext c) {
        long[] out = c.outputShape(0);
        String b = c.input(1);
        if (c.needsGrad(0)) {
            c.addGrad(0, c.unbroadcast(c.op("Div", c.grad(0), b), out, c.inputShape(0)));
        }
        if (c.needsGrad(1)) {
            String g = c.op("Neg", c.op("Div", c.op("Mul", c.grad(0), c.output(0)), b));
            c.addGrad(1, c.unbroadcast(g, out, c.inputShape(1)));
        }
    }
}
