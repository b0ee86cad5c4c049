package org.explain4j.onnx.grad.rules;

import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/**
 * InstanceNormalization (ONNX opset 6), {@code y = scale_c (x - mean) / sqrt(var + epsilon) + B_c}
 * with mean and variance over the spatial axes of each (example, channel): the standardisation's
 * gradient ({@link Standardised}) of {@code g * scale_c}. Scale and bias get no gradient.
 */
final class InstanceNormalizationRule implements OpRule {
    @Override
    public void backward(RuleContext c) {
        c.requireNoGrad(1);
        c.requireNoGrad(2);
        long[] x = c.inputShape(0);
        long[] axes = new long[x.length - 2];
        long[] perChannel = new long[x.length - 1];
        java.util.Arrays.fill(perChannel, 1);
        perChannel[0] = x[1];
        for (int i = 0; i < axes.length; i++) {
            axes[i] = i + 2;
        }
        int t = c.inputType(0);
        String gh = c.op("Mul", c.grad(0), c.reshape(c.input(1), perChannel));
        c.addGrad(0, Standardised.inputGradient(c, c.input(0), gh, x, axes, c.attrFloat("epsilon", 1e-5f), t));
    }
}
