package org.explain4j.onnx.grad.rules;

import java.util.List;
import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/**
 * HardSigmoid (ONNX opset 6), {@code y = max(0, min(1, alpha x + beta))} with alpha 0.2 and beta
 * 0.5 by default: {@code alpha g} where {@code 0 < alpha x + beta < 1}, 0 elsewhere (the open
 * interval, as PyTorch's {@code hardsigmoid_backward}; read from the output, {@code 0 < y < 1}).
 */
final class HardSigmoidRule implements OpRule {
    @Override
    public void backward(RuleContext c) {
        int t = c.inputType(0);
        String y = c.output(0);
        String inside = c.op("And", c.op("Greater", y, c.scalar(0, t)), c.op("Less", y, c.scalar(1, t)));
        String slope = c.op("Mul", c.grad(0), c.scalar(c.attrFloat("alpha", 0.2f), t));
        c.addGrad(0, c.op("Where", List.of(inside, slope, c.scalar(0, t))));
    }
}
