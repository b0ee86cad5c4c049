package org.explain4j.onnx.grad.propagation;

import java.util.List;
import org.explain4j.onnx.grad.Attr;
import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/**
 * DeepLIFT at Softmax, on its decomposition {@code y = exp(x - l)} with the log-sum-exp
 * {@code l = m + log(s)}, {@code s = sum(exp(x - m))} along the softmax axes, {@code m} the maximum
 * of the example's input and reference rows (a constant of the example, so that both are the same
 * function): rescale on {@code u = exp(x - m)}, the sum's gradient, rescale on the log (the secant
 * slope {@code lambda = (l - l_ref) / (s - s_ref)}), the subtraction {@code z = x - l}'s gradient and
 * rescale on {@code y = exp(z)}. So, with {@code M_y = (y - y_ref) / (z - z_ref)} and
 * {@code M_u = (u - u_ref) / (x - x_ref)}, the multiplier is
 * {@code g_x = g M_y - lambda M_u sum(g M_y)}. Each step is complete, so this rule is, and it works
 * within each example.
 *
 * <p>Every multiplier is bounded: a secant slope of exp lies between its two end values, of the log
 * between {@code 1 / s} and {@code 1 / s_ref}, and each is clamped to that interval (which only
 * float rounding can leave). The earlier decomposition {@code y = e r}, {@code r = 1 / sum(e)} with
 * the product rule on {@code e r} was complete in exact arithmetic, but its multipliers grow as
 * {@code exp|l - l_ref|} and cancel: rows whose log-sum-exp moves by 56 between the input and the
 * reference (all-MiniLM-L6-v2's layer 0 against an all-[PAD] reference) left float32 with nothing
 * but rounding, a gap of 1.5 on an output difference of 0.33 (docs/NOTES.md, "DeepLIFT through
 * masked attention"). {@code l} and {@code l_ref} are computed each with its own row's maximum, so
 * neither underflows; masked scores (a large negative constant, or {@code -inf}: its difference is
 * NaN and counts as zero) get multiplier 0.
 */
final class DeepLiftSoftmaxRule implements OpRule {
    @Override
    public void backward(RuleContext c) {
        Halves h = new Halves(c);
        int t = c.inputType(0);
        long[] axes = Axes.softmax(c);
        String x = c.input(0);
        String y = c.output(0);
        String g = c.grad(0);
        // 1. The log-sum-exp of each row with its own maximum, and its difference from the reference.
        String rowMax = reduceMax(c, x, axes);
        String l = Emit.add(c, rowMax, c.op("Log", c.reduceSum(c.op("Exp", Emit.sub(c, x, rowMax)), axes, true)));
        String dl = h.delta(c, l);
        // 2. Rescale on u = exp(x - m), m shared by the example's two rows; s = sum(u).
        String max = c.op("Max", List.of(h.first(c, rowMax), h.second(c, rowMax)));
        String u = c.op("Exp", Emit.sub(c, x, Emit.stack(c, max, max)));
        String dx = h.delta(c, x);
        String smallX = small(c, dx, t);
        String mu = secant(c, h, smallX, h.delta(c, u), dx, u, t);
        String dxKept = c.op("Where", List.of(smallX, c.scalar(0, t), dx));
        // 3. Rescale on the log: lambda = (l - l_ref) / (s - s_ref), with s - s_ref as the sum of the
        // multipliers times the differences (so that lambda M_u spreads exactly l - l_ref).
        String ds = c.reduceSum(Emit.mul(c, mu, dxKept), axes, true);
        String s = c.reduceSum(u, axes, true);
        String s1 = h.first(c, s);
        String s2 = h.second(c, s);
        String zeroDs = c.op("Equal", ds, c.scalar(0, t));
        String meanS = Emit.mul(c, Emit.add(c, s1, s2), c.scalar(0.5, t));
        String inverse = c.op("Reciprocal", meanS);
        String lambda = c.op("Where", List.of(zeroDs, Emit.stack(c, inverse, inverse),
                c.op("Div", dl, c.op("Where", List.of(zeroDs, c.scalar(1, t), ds)))));
        String lo = c.op("Reciprocal", c.op("Max", List.of(s1, s2)));
        String hi = c.op("Reciprocal", c.op("Min", List.of(s1, s2)));
        lambda = clamp(c, lambda, Emit.stack(c, lo, lo), Emit.stack(c, hi, hi));
        // 4. Rescale on y = exp(z), z = x - l.
        String dz = Emit.sub(c, dx, dl);
        String my = secant(c, h, small(c, dz, t), h.delta(c, y), dz, y, t);
        // 5. g_x = g M_y - lambda M_u sum(g M_y).
        String gz = Emit.mul(c, g, my);
        String total = c.reduceSum(gz, axes, true);
        c.addGrad(0, Emit.sub(c, gz, Emit.mul(c, Emit.mul(c, lambda, mu), total)));
    }

    /** Where {@code |d|} is not above DeepLIFT's threshold (NaN included: the difference of two {@code -inf}). */
    private static String small(RuleContext c, String d, int t) {
        return c.op("Not", c.op("Greater", c.op("Abs", d), c.scalar(RescaleRule.EPS, t)));
    }

    /**
     * The secant slope {@code dv / dw} of exp, the same for both rows: the mean of the two values where
     * the difference {@code dw} is small, and clamped between the two values {@code v}, {@code v_ref}.
     */
    private static String secant(RuleContext c, Halves h, String small, String dv, String dw, String v, int t) {
        String v1 = h.first(c, v);
        String v2 = h.second(c, v);
        String mean = Emit.mul(c, Emit.add(c, v1, v2), c.scalar(0.5, t));
        String ratio = c.op("Div", dv, c.op("Where", List.of(small, c.scalar(1, t), dw)));
        String slope = c.op("Where", List.of(small, Emit.stack(c, mean, mean), ratio));
        String lo = c.op("Min", List.of(v1, v2));
        String hi = c.op("Max", List.of(v1, v2));
        return clamp(c, slope, Emit.stack(c, lo, lo), Emit.stack(c, hi, hi));
    }

    /** {@code min(max(v, lo), hi)}. */
    private static String clamp(RuleContext c, String v, String lo, String hi) {
        return c.op("Min", List.of(c.op("Max", List.of(v, lo)), hi));
    }

    private static String reduceMax(RuleContext c, String x, long[] axes) {
        if (c.targetOpset() >= 18) {
            return c.op("ReduceMax", List.of(x, c.longs(axes)), Attr.i("keepdims", 1));
        }
        return c.op("ReduceMax", x, Attr.ints("axes", axes), Attr.i("keepdims", 1));
    }

}
