package org.explain4j.onnx.grad.rules;

import java.util.List;
import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/** LeakyRelu: {@code g} where the input is positive, {@code alpha * g} elsewhere. */
final class LeakyReluRule implements OpRule {
    @Override
    public void backward(RuleContext c) {
        int t = c.inputType(0);
        String positive = c.op("Greater", c.input(0), c.scalar(0, t));
        String scaled = c.op("Mul", c.grad(0), c.scalar(c.attrFloat("alpha", 0.01f), t));
        c.addGrad(0, c.op("Where", List.of(positive, c.grad(0), scaled)));
    }
}
