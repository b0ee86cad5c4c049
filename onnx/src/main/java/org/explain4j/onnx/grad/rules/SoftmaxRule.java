package org.explain4j.onnx.grad.rules;

import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/**
 * Softmax and LogSoftmax along {@code axis}: {@code y * (g - sum(g * y))} and
 * {@code g - exp(y) * sum(g)}. Before opset 13 these ops normalise over the input flattened to
 * 2-D at {@code axis} (default 1), i.e. over every axis from {@code axis} on, which is what the
 * sums here run over.
 */
final class SoftmaxRule implements OpRule {
    private final boolean log;

    SoftmaxRule(boolean log) {
        this.log = log;
    }

    @Override
    public void backward(RuleContext c) {
        int rank = c.inputShape(0).length;
        long[] axes = axes(c, rank);
        String g = c.grad(0);
        String y = c.output(0);
        if (log) {
            String sum = c.reduceSum(g, axes, true);
            c.addGrad(0, c.op("Sub", g, c.op("Mul", c.op("Exp", y), sum)));
        } else {
            String gy = c.op("Mul", g, y);
            String sum = c.reduceSum(gy, axes, true);
            c.addGrad(0, c.op("Sub", gy, c.op("Mul", y, sum)));
        }
    }

    static long[] axes(RuleContext c, int rank) {
        if (c.opset() >= 13) {
            return new long[] {RuleContext.axis(c.attrInt("axis", -1), rank)};
        }
        int from = RuleContext.axis(c.attrInt("axis", 1), rank);
        long[] axes = new long[rank - from];
        for (int i = 0; i < axes.length; i++) {
            axes[i] = from + i;
        }
        return axes;
    }
}
