package org.explain4j.onnx.grad.rules;

import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/**
 * ReduceSum and ReduceMean (axes as attribute, or as input from opset 13 for ReduceSum and 18 for
 * ReduceMean): the gradient expanded back over the reduced axes, divided by their size for a mean.
 */
final class ReduceRule implements OpRule {
    private final boolean mean;

    ReduceRule(boolean mean) {
        this.mean = mean;
    }

    @Override
    public void backward(RuleContext c) {
        long[] in = c.inputShape(0);
        int rank = in.length;
        boolean axesAsInput = c.opset() >= (mean ? 18 : 13);
        long[] axes = axesAsInput ? (c.hasInput(1) ? c.constantInput(1) : null) : c.attrInts("axes", null);
        if ((axes == null || axes.length == 0) && axesAsInput && c.attrInt("noop_with_empty_axes", 0) != 0) {
            c.addGrad(0, c.grad(0));
            return;
        }
        long[] kept = in.clone();
        long count = 1;
        for (int a = 0; a < rank; a++) {
            if (reduces(axes, a, rank)) {
                kept[a] = 1;
                count *= in[a];
            }
        }
        String g = c.reshape(c.grad(0), kept);
        if (mean) {
            g = c.op("Mul", g, c.scalar(1.0 / count, c.inputType(0)));
        }
        c.addGrad(0, c.op("Expand", g, c.longs(in)));
    }

    private static boolean reduces(long[] axes, int a, int rank) {
        if (axes == null || axes.length == 0) {
            return true;
        }
        for (long x : axes) {
            if (RuleContext.axis(x, rank) == a) {
                return true;
            }
        }
        return false;
    }
}
