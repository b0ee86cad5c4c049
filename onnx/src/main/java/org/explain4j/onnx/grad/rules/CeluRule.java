package org.explain4j.onnx.grad.rules;

import java.util.List;
import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/**
 * Celu (ONNX opset 12), {@code y = max(0, x) + min(0, alpha (exp(x / alpha) - 1))}: {@code g}
 * where the input is positive, {@code g (y / alpha + 1)} (that is {@code exp(x / alpha)})
 * elsewhere, as PyTorch's {@code celu} backward.
 */
final class CeluRule implements OpRule {
    @Override
    public void backward(RuleContext c) {
        int t = c.inputType(0);
        double alpha = c.attrFloat("alpha", 1f);
        String positive = c.op("Greater", c.input(0), c.scalar(0, t));
        String slope = c.op("Add", c.op("Mul", c.output(0), c.scalar(1.0 / alpha, t)), c.scalar(1, t));
        c.addGrad(0, c.op("Where", List.of(positive, c.grad(0), c.op("Mul", c.grad(0), slope))));
    }
}
