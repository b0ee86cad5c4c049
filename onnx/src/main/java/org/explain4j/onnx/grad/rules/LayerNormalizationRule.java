package org.explain4j.onnx.grad.rules;

import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/**
 * LayerNormalization (ONNX opset 17) over the axes from {@code axis} (any, negative counting from
 * the end) to the last: the standardisation's gradient ({@link Standardised}) of
 * {@code g * scale}, that is {@code dx = r * (gh - mean(gh) - xh * mean(gh * xh))} with {@code xh}
 * the normalised input, {@code r} the inverse standard deviation and {@code gh = g * scale}.
 * Scale and bias get no gradient.
 */
final class LayerNormalizationRule implements OpRule {
    @Override
    public void backward(RuleContext c) {
        c.requireNoGrad(1);
        c.requireNoGrad(2);
        long[] x = c.inputShape(0);
        int from = RuleContext.axis(c.attrInt("axis", -1), x.length);
        long[] axes = new long[x.length - from];
        for (int i = 0; i < axes.length; i++) {
            axes[i] = from + i;
        }
        String gh = c.op("Mul", c.grad(0), c.input(1));
        c.addGrad(0, Standardised.inputGradient(c, c.input(0), gh, x, axes, c.attrFloat("epsilon", 1e-5f),
                c.inputType(0)));
    }
}
