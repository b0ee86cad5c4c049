package org.explain4j.onnx.grad.rules;

import java.util.Arrays;
import org.explain4j.onnx.grad.RuleContext;

/**
 * The axes a Reduce* node reduces (ONNX: an attribute, or an input from opset 13 for ReduceSum
 * and 18 for the others; none means all, or nothing with {@code noop_with_empty_axes}), as the
 * input's shape with those axes set to 1 ({@code kept}, the shape the gradient broadcasts from)
 * and their indices ({@code reduced}).
 */
record Reduction(long[] kept, long[] reduced) {

    /** The reduction of {@code c.node()}, or null when it is the identity (no axes, noop_with_empty_axes). */
    static Reduction of(RuleContext c, int axesInputFrom) {
        boolean asInput = c.opset() >= axesInputFrom;
        long[] axes = asInput ? (c.hasInput(1) ? c.constantInput(1) : null) : c.attrInts("axes", null);
        if ((axes == null || axes.length == 0) && asInput && c.attrInt("noop_with_empty_axes", 0) != 0) {
            return null;
        }
        return over(c.inputShape(0), axes);
    }

    /** The reduction of a tensor of shape {@code in} over {@code axes} (null or empty: all). */
    static Reduction over(long[] in, long[] axes) {
        int rank = in.length;
        long[] kept = in.clone();
        long[] reduced = new long[rank];
        int k = 0;
        for (int a = 0; a < rank; a++) {
            if (axes == null || axes.length == 0 || contains(axes, a, rank)) {
                kept[a] = 1;
                reduced[k++] = a;
            }
        }
        return new Reduction(kept, Arrays.copyOf(reduced, k));
    }

    private static boolean contains(long[] axes, int a, int rank) {
        for (long x : axes) {
            if (RuleContext.axis(x, rank) == a) {
                return true;
            }
        }
        return false;
    }
}
