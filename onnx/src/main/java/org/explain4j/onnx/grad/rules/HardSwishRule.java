package org.explain4j.onnx.grad.rules;

import java.util.List;
import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/**
 * HardSwish (ONNX opset 14), {@code y = x max(0, min(1, x / 6 + 1/2))}: 0 for {@code x < -3},
 * {@code g} for {@code x > 3} and {@code g (x / 3 + 1/2)} in between, as PyTorch's
 * {@code hardswish_backward} (which takes the middle piece at both ends, {@code -3 <= x <= 3}).
 */
final class HardSwishRule implements OpRule {
    @Override
    public void backward(RuleContext c) {
        int t = c.inputType(0);
        String x = c.input(0);
        String g = c.grad(0);
        String middle = c.op("Mul", g, c.op("Add", c.op("Mul", x, c.scalar(1.0 / 3, t)), c.scalar(0.5, t)));
        String upper = c.op("Where", List.of(c.op("Greater", x, c.scalar(3, t)), g, middle));
        c.addGrad(0, c.op("Where", List.of(c.op("Less", x, c.scalar(-3, t)), c.scalar(0, t), upper)));
    }
}
