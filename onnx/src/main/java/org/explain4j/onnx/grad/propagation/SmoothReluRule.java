package org.explain4j.onnx.grad.propagation;

import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/**
 * Relu with the backward pass of softplus (Zennit 0.5.1's {@code BetaSmooth}, after Dombrowski et
 * al., 2019, "Explanations can be manipulated and geometry is to blame"): the forward pass stays
 * a ReLU, the gradient is multiplied by {@code sigmoid(beta_smooth * x)}, x the ReLU's input,
 * everywhere (also where {@code x < 0}). Parameter {@code beta_smooth}, 10 by default, positive.
 */
final class SmoothReluRule implements OpRule {
    @Override
    public void backward(RuleContext c) {
        double beta = c.param("beta_smooth", 10);
        if (!(beta > 0) || Double.isInfinite(beta)) {
            throw c.unsupported("beta_smooth must be positive (got " + beta + ")");
        }
        int t = c.inputType(0);
        String slope = c.op("Sigmoid", c.op("Mul", c.input(0), c.scalar(beta, t)));
        c.addGrad(0, c.op("Mul", c.grad(0), slope));
    }
}
