package org.explain4j.onnx.grad.rules;

import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/**
 * LayerNormalization over the axes from {@code axis} on: with {@code xh} the normalised input,
 * {@code r} the inverse standard deviation and {@code gh = g * scale},
 * {@code dx = r * (gh - mean(gh) - xh * mean(gh * xh))}. Scale and bias get no gradient.
 */
final class LayerNormalizationRule implements OpRule {
    @Override
    public void backward(RuleContext c) {
        c.requireNoGrad(1);
        c.requireNoGrad(2);
        long[] x = c.inputShape(0);
        int from = RuleContext.axis(c.attrInt("axis", -1), x.length);
        long[] axes = new long[x.length - from];
        long count = 1;
        for (int i = 0; i < axes.length; i++) {
            axes[i] = from + i;
            count *= x[from + i];
        }
        int t = c.inputType(0);
        String inv = c.scalar(1.0 / count, t);
        String centred = c.op("Sub", c.input(0), mean(c, c.input(0), axes, inv));
        String variance = mean(c, c.op("Mul", centred, centred), axes, inv);
        String eps = c.scalar(c.attrFloat("epsilon", 1e-5f), t);
        String r = c.op("Reciprocal", c.op("Sqrt", c.op("Add", variance, eps)));
        String xh = c.op("Mul", centred, r);
        String gh = c.op("Mul", c.grad(0), c.input(1));
        String inner = c.op("Sub", c.op("Sub", gh, mean(c, gh, axes, inv)),
                c.op("Mul", xh, mean(c, c.op("Mul", gh, xh), axes, inv)));
        c.addGrad(0, c.op("Mul", r, inner));
    }

    private static String mean(RuleContext c, String v, long[] axes, String inv) {
        return c.op("Mul", c.reduceSum(v, axes, true), inv);
    }
}
