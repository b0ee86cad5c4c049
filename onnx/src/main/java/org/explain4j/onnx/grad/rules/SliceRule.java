package org.explain4j.onnx.grad.rules;

import java.util.List;
import org.explain4j.onnx.grad.Attr;
import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/**
 * Slice (starts, ends, axes and steps known when the graph is built): the gradient is put back
 * at the sliced positions, zeros elsewhere. Axes with step 1 are restored by one Pad; an axis
 * with another step gathers from the gradient with one zero slab appended, so every input
 * position picks either its gradient element or the zero.
 */
final class SliceRule implements OpRule {
    @Override
    public void backward(RuleContext c) {
        long[] in = c.inputShape(0);
        int rank = in.length;
        long[] starts = c.constantInput(1);
        long[] ends = c.constantInput(2);
        long[] axes = c.hasInput(3) ? c.constantInput(3) : range(starts.length);
        long[] steps = c.hasInput(4) ? c.constantInput(4) : ones(starts.length);
        long[] pads = new long[2 * rank];
        String g = c.grad(0);
        long[] shape = c.outputShape(0);
        for (int k = 0; k < axes.length; k++) {
            int a = RuleContext.axis(axes[k], rank);
            long n = in[a];
            long step = steps[k];
            long start = starts[k] < 0 ? starts[k] + n : starts[k];
            start = step > 0 ? clamp(start, 0, n) : clamp(start, 0, n - 1);
            long count = shape[a];
            if (step == 1) {
                pads[a] = start;
                pads[a + rank] = n - start - count;
            } else {
                g = unstride(c, g, shape, a, start, step, n);
                shape[a] = n;
            }
        }
        if (java.util.Arrays.stream(pads).anyMatch(p -> p != 0)) {
            g = c.op("Pad", g, c.longs(pads));
        }
        c.addGrad(0, g);
    }

    /** Spreads {@code g}'s axis {@code a} (sliced with a step) back over {@code n} positions. */
    private static String unstride(RuleContext c, String g, long[] shape, int a, long start, long step, long n) {
        long count = shape[a];
        long[] slab = shape.clone();
        slab[a] = 1;
        String padded = c.op("Concat", List.of(g, c.zeros(slab, c.inputType(0))), Attr.i("axis", a));
        long[] pick = new long[(int) n];
        java.util.Arrays.fill(pick, count);
        for (long j = 0; j < count; j++) {
            pick[(int) (start + j * step)] = j;
        }
        return c.op("Gather", padded, c.longs(pick), Attr.i("axis", a));
    }

    private static long clamp(long v, long lo, long hi) {
        return Math.max(lo, Math.min(hi, v));
    }

    private static long[] range(int n) {
        long[] r = new long[n];
        for (int i = 0; i < n; i++) {
            r[i] = i;
        }
        return r;
    }

    private static long[] ones(int n) {
        long[] r = new long[n];
        java.util.Arrays.fill(r, 1);
        return r;
    }
}
