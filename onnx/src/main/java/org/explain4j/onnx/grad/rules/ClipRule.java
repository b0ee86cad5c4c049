package org.explain4j.onnx.grad.rules;

import java.util.List;
import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/** Clip: the gradient passes where {@code min <= x <= max} (the bounds get none). */
final class ClipRule implements OpRule {
    @Override
    public void backward(RuleContext c) {
        c.requireNoGrad(1);
        c.requireNoGrad(2);
        String x = c.input(0);
        String mask = null;
        if (c.hasInput(1)) {
            mask = c.op("Not", c.op("Less", x, c.input(1)));
        }
        if (c.hasInput(2)) {
            String below = c.op("Not", c.op("Greater", x, c.input(2)));
            mask = mask == null ? below : c.op("And", mask, below);
        }
        String g = c.grad(0);
        if (mask != null) {
            g = c.op("Where", List.of(mask, g, c.scalar(0, c.inputType(0))));
        }
        c.addGrad(0, g);
    }
}
