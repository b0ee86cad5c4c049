package org.explain4j.onnx.grad.rules;

import org.explain4j.onnx.grad.Attr;
import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/** Pow with an exponent that needs no gradient: {@code g * e * x^(e-1)}, summed to the base's shape. */
final class PowRule implements OpRule {
    @Override
    public void backward(RuleContext c) {
        c.requireNoGrad(1);
        int t = c.inputType(0);
        String e = c.input(1);
        if (c.inputType(1) != t) {
            e = c.op("Cast", e, Attr.i("to", t));
        }
        String power = c.op("Pow", c.input(0), c.op("Sub", e, c.scalar(1, t)));
        String g = c.op("Mul", c.grad(0), c.op("Mul", e, power));
        c.addGrad(0, c.unbroadcast(g, c.outputShape(0), c.inputShape(0)));
    }
}
