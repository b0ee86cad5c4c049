package org.explain4j.onnx.grad.rules;

import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/**
 * Mish (ONNX opset 18), {@code y = x tanh(softplus(x))}: with {@code t = tanh(softplus(x))},
 * {@code dy/dx = t + x (1 - t^2) sigmoid(x)} (the derivative of softplus is the sigmoid), as
 * PyTorch's {@code mish_backward}.
 */
final class MishRule implements OpRule {
    @Override
    public void backward(RuleContext c) {
        int t = c.inputType(0);
        String x = c.input(0);
        String th = c.op("Tanh", c.op("Softplus", x));
        String sech2 = c.op("Sub", c.scalar(1, t), c.op("Mul", th, th));
        String slope = c.op("Add", th, c.op("Mul", c.op("Mul", x, sech2), c.op("Sigmoid", x)));
        c.addGrad(0, c.op("Mul", c.grad(0), slope));
    }
}
