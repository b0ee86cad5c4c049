package org.explain4j.onnx.grad.rules;

import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/** Mul: {@code g * b} for {@code a} and {@code g * a} for {@code b}, each summed to its operand's shape. */
final class MulRule implements OpRule {
    @Override
    public void backward(RuleContext c) {
        long[] out = c.outputShape(0);
        for (int i = 0; i < 2; i++) {
            if (c.needsGrad(i)) {
                String g = c.op("Mul", c.grad(0), c.input(1 - i));
                c.addGrad(i, c.unbroadcast(g, out, c.inputShape(i)));
            }
        }
    }
}
