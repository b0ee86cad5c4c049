package org.explain4j.onnx.grad.propagation;

import java.util.List;
import org.explain4j.onnx.grad.Attr;
import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/**
 * DeepLIFT at Softmax, on its decomposition {@code y = e r}, {@code e = exp(x - m)},
 * {@code r = 1 / sum(e)} along the softmax axes, {@code m} the maximum of the example's input and
 * reference rows (a constant of the example, so that this is the same function for both): rescale
 * on exp ({@code (e - e_ref) / (x - x_ref)}, its derivative {@code e} where the difference is below
 * 1e-10 or undefined, as for a {@code -inf} mask), the gradient of the sum, the exact multiplier
 * {@code (r - r_ref) / (s - s_ref) = -r r_ref} of the reciprocal and the product rule on
 * {@code e r} ({@link DeepLiftProductRule}). Each rule is complete, so this one is; it works within
 * each example. (Captum's softmax rule rescales elementwise and subtracts the mean over the whole
 * doubled batch, mixing examples; explain4j used to refuse Softmax for that reason.)
 */
final class DeepLiftSoftmaxRule implements OpRule {
    @Override
    public void backward(RuleContext c) {
        Halves h = new Halves(c);
        int t = c.inputType(0);
        long[] axes = Axes.softmax(c);
        String x = c.input(0);
        String g = c.grad(0);
        // 1. The forward pass of the decomposition, shifted by the example's maximum.
        String max = c.op("Max", List.of(h.first(c, reduceMax(c, x, axes)), h.second(c, reduceMax(c, x, axes))));
        String e = c.op("Exp", Emit.sub(c, x, Emit.stack(c, max, max)));
        String r = c.op("Reciprocal", c.reduceSum(e, axes, true));
        // 2. Product rule on y = e r.
        String gE = Emit.mul(c, g, mean(c, h, r, t));
        String gR = c.reduceSum(Emit.mul(c, g, mean(c, h, e, t)), axes, true);
        // 3. Reciprocal, exactly: (1/s - 1/s_ref) / (s - s_ref) = -r r_ref; then the sum's gradient.
        String rr = c.op("Neg", Emit.mul(c, h.first(c, r), h.second(c, r)));
        gE = Emit.add(c, gE, Emit.mul(c, gR, Emit.stack(c, rr, rr)));
        // 4. Rescale on exp.
        String dx = h.delta(c, x);
        String de = h.delta(c, e);
        String small = c.op("Not", c.op("Greater", c.op("Abs", dx), c.scalar(RescaleRule.EPS, t)));
        String safe = c.op("Where", List.of(small, c.scalar(1, t), dx));
        String multiplier = c.op("Where", List.of(small, e, c.op("Div", de, safe)));
        c.addGrad(0, Emit.mul(c, gE, multiplier));
    }

    private static String reduceMax(RuleContext c, String x, long[] axes) {
        if (c.targetOpset() >= 18) {
            return c.op("ReduceMax", List.of(x, c.longs(axes)), Attr.i("keepdims", 1));
        }
        return c.op("ReduceMax", x, Attr.ints("axes", axes), Attr.i("keepdims", 1));
    }

    /** {@code [(t + t_ref) / 2; (t + t_ref) / 2]}. */
    static String mean(RuleContext c, Halves h, String t, int type) {
        String m = Emit.mul(c, Emit.add(c, h.first(c, t), h.second(c, t)), c.scalar(0.5, type));
        return Emit.stack(c, m, m);
    }
}
