package org.explain4j.onnx.grad.rules;

import org.explain4j.onnx.grad.Attr;
import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/**
 * ReduceMax and ReduceMin (ONNX opset 11-20; axes as an attribute before opset 18 and as an input
 * from 18, {@code keepdims}, {@code noop_with_empty_axes}), and GlobalMaxPool (the maximum over
 * every spatial axis, kept as size 1): the gradient goes to the element(s)
 * equal to the extreme of their slice; when several tie, it is split evenly among them
 * ({@code g / k} each), as PyTorch's {@code amax}/{@code amin} backward does (its
 * {@code max(dim)} instead sends all to one index; the even split is the one that does not depend
 * on an ordering). ONNX Runtime has no gradient of its own for these ops.
 */
final class ReduceExtremeRule implements OpRule {
    private final boolean globalPool;

    ReduceExtremeRule(boolean globalPool) {
        this.globalPool = globalPool;
    }

    @Override
    public void backward(RuleContext c) {
        c.requireNoGrad(1);
        Reduction r = globalPool ? Reduction.over(c.inputShape(0), spatial(c.inputShape(0).length))
                : Reduction.of(c, 18);
        if (r == null) {
            c.addGrad(0, c.grad(0));
            return;
        }
        int t = c.inputType(0);
        String hits = c.op("Cast", c.op("Equal", c.input(0), c.reshape(c.output(0), r.kept())), Attr.i("to", t));
        String count = c.reduceSum(hits, r.reduced(), true);
        String share = c.op("Div", c.reshape(c.grad(0), r.kept()), count);
        c.addGrad(0, c.op("Mul", hits, share));
    }

    private static long[] spatial(int rank) {
        long[] axes = new long[rank - 2];
        for (int i = 0; i < axes.length; i++) {
            axes[i] = i + 2;
        }
        return axes;
    }
}
