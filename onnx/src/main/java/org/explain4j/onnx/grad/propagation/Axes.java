package org.explain4j.onnx.grad.propagation;

import org.explain4j.onnx.grad.Attr;
import org.explain4j.onnx.grad.RuleContext;

/** The axes a normalising op works over, and small reductions along them. */
final class Axes {
    private Axes() {
    }

    /** The axes {@code from .. rank - 1}. */
    static long[] from(int from, int rank) {
        long[] a = new long[rank - from];
        for (int i = 0; i < a.length; i++) {
            a[i] = from + i;
        }
        return a;
    }

    /** Softmax's axes: {@code axis} (default -1) from opset 13, every axis from {@code axis} (default 1) before. */
    static long[] softmax(RuleContext c) {
        int rank = c.inputShape(0).length;
        if (c.opset() >= 13) {
            return new long[] {RuleContext.axis(c.attrInt("axis", -1), rank)};
        }
        return from(RuleContext.axis(c.attrInt("axis", 1), rank), rank);
    }

    /** LayerNormalization's axes: every axis from {@code axis} (default -1). */
    static long[] layerNorm(RuleContext c) {
        int rank = c.inputShape(0).length;
        return from(RuleContext.axis(c.attrInt("axis", -1), rank), rank);
    }

    /** The number of elements along {@code axes} of a tensor of shape {@code shape}. */
    static long count(long[] shape, long[] axes) {
        long n = 1;
        for (long a : axes) {
            n *= shape[(int) a];
        }
        return n;
    }

    /** The mean of {@code v} along {@code axes}, kept as dimensions of 1. */
    static String mean(RuleContext c, String v, long[] axes, long count, int type) {
        return Emit.mul(c, c.reduceSum(v, axes, true), c.scalar(1.0 / count, type));
    }

    /** {@code t} with its last two axes swapped (rank at least 2). */
    static String transposeLast(RuleContext c, String t, int rank) {
        long[] perm = new long[rank];
        for (int i = 0; i < rank; i++) {
            perm[i] = i;
        }
        perm[rank - 2] = rank - 1;
        perm[rank - 1] = rank - 2;
        return c.op("Transpose", t, Attr.ints("perm", perm));
    }
}
