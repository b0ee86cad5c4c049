package org.explain4j.onnx.grad.rules;

import org.explain4j.onnx.grad.RuleContext;

/**
 * The input gradient of a standardisation {@code xh = (x - mean) r}, {@code r = 1 / sqrt(var + eps)}
 * (mean and biased variance over {@code axes}), given {@code gh}, the gradient reaching xh:
 * {@code dx = r (gh - mean(gh) - xh mean(gh xh))}. Shared by InstanceNormalization,
 * GroupNormalization and LayerNormalization.
 */
final class Standardised {
    private Standardised() {
    }

    static String inputGradient(RuleContext c, String x, String gh, long[] shape, long[] axes, double eps, int t) {
        long count = 1;
        for (long a : axes) {
            count *= shape[(int) a];
        }
        String inv = c.scalar(1.0 / count, t);
        String centred = c.op("Sub", x, mean(c, x, axes, inv));
        String variance = mean(c, c.op("Mul", centred, centred), axes, inv);
        String r = c.op("Reciprocal", c.op("Sqrt", c.op("Add", variance, c.scalar(eps, t))));
        String xh = c.op("Mul", centred, r);
        String inner = c.op("Sub", c.op("Sub", gh, mean(c, gh, axes, inv)),
                c.op("Mul", xh, mean(c, c.op("Mul", gh, xh), axes, inv)));
        return c.op("Mul", r, inner);
    }

    private static String mean(RuleContext c, String v, long[] axes, String inv) {
        return c.op("Mul", c.reduceSum(v, axes, true), inv);
    }
}
