package org.explain4j.onnx.grad.rules;

import java.util.List;
import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/** PRelu: {@code g} where the input is positive, {@code slope * g} elsewhere (the slope gets no gradient). */
final class PReluRule implements OpRule {
    @Override
    public void backward(RuleContext c) {
        c.requireNoGrad(1);
        String positive = c.op("Greater", c.input(0), c.scalar(0, c.inputType(0)));
        String scaled = c.op("Mul", c.grad(0), c.input(1));
        String g = c.op("Where", List.of(positive, c.grad(0), scaled));
        c.addGrad(0, c.unbroadcast(g, c.outputShape(0), c.inputShape(0)));
    }
}
