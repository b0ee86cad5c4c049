package org.explain4j.onnx.grad.rules;

import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/**
 * Gelu (ONNX opset 20). With {@code approximate = "none"}, {@code y = x Phi(x)} and
 * {@code dy/dx = Phi(x) + x phi(x)}, Phi and phi the standard normal distribution and density.
 * With {@code approximate = "tanh"}, {@code y = x/2 (1 + tanh(u))},
 * {@code u = sqrt(2/pi) (x + 0.044715 x^3)}, and {@code dy/dx = (1 + t)/2 + x/2 (1 - t^2) du/dx}
 * with {@code t = tanh(u)}, as PyTorch's {@code gelu_backward}.
 */
final class GeluRule implements OpRule {
    private static final double C = 0.044715;

    @Override
    public void backward(RuleContext c) {
        String approximate = c.attrString("approximate", "none");
        int t = c.inputType(0);
        String x = c.input(0);
        String slope;
        switch (approximate) {
            case "none" -> {
                String cdf = c.op("Mul", c.op("Add", c.op("Erf", c.op("Mul", x, c.scalar(Math.sqrt(0.5), t))),
                        c.scalar(1, t)), c.scalar(0.5, t));
                String x2 = c.op("Mul", x, x);
                String pdf = c.op("Mul", c.op("Exp", c.op("Mul", x2, c.scalar(-0.5, t))),
                        c.scalar(1 / Math.sqrt(2 * Math.PI), t));
                slope = c.op("Add", cdf, c.op("Mul", x, pdf));
            }
            case "tanh" -> {
                double k = Math.sqrt(2 / Math.PI);
                String x2 = c.op("Mul", x, x);
                String u = c.op("Mul", c.op("Mul", x, c.op("Add", c.op("Mul", x2, c.scalar(C, t)), c.scalar(1, t))),
                        c.scalar(k, t));
                String th = c.op("Tanh", u);
                String du = c.op("Mul", c.op("Add", c.op("Mul", x2, c.scalar(3 * C, t)), c.scalar(1, t)),
                        c.scalar(k, t));
                String left = c.op("Mul", c.op("Add", th, c.scalar(1, t)), c.scalar(0.5, t));
                String sech2 = c.op("Sub", c.scalar(1, t), c.op("Mul", th, th));
                String right = c.op("Mul", c.op("Mul", c.op("Mul", x, c.scalar(0.5, t)), sech2), du);
                slope = c.op("Add", left, right);
            }
            default -> throw c.unsupported("approximate '" + approximate + "' is not an ONNX value (none or tanh)");
        }
        c.addGrad(0, c.op("Mul", c.grad(0), slope));
    }
}
