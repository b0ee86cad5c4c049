package org.explain4j.onnx.grad.rules;

import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/** Sin and Cos (ONNX opset 7): {@code d sin(x) = cos(x)} and {@code d cos(x) = -sin(x)}. */
final class TrigRule implements OpRule {
    private final boolean cosine;

    TrigRule(boolean cosine) {
        this.cosine = cosine;
    }

    @Override
    public void backward(RuleContext c) {
        String x = c.input(0);
        String slope = cosine ? c.op("Neg", c.op("Sin", x)) : c.op("Cos", x);
        c.addGrad(0, c.op("Mul", c.grad(0), slope));
    }
}
