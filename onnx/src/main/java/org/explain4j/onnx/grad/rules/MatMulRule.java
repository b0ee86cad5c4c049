package org.explain4j.onnx.grad.rules;

import java.util.Arrays;
import org.explain4j.onnx.grad.Attr;
import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/**
 * MatMul with numpy semantics (batched, broadcast, 1-D operands promoted): {@code g B^T} for
 * {@code A} and {@code A^T g} for {@code B}, summed over broadcast batch axes.
 */
final class MatMulRule implements OpRule {
    @Override
    public void backward(RuleContext c) {
        long[] a = c.inputShape(0);
        long[] b = c.inputShape(1);
        long[] ap = a.length == 1 ? new long[] {1, a[0]} : a;
        long[] bp = b.length == 1 ? new long[] {b[0], 1} : b;
        long[] gp = c.outputShape(0);
        if (a.length == 1 || b.length == 1) {
            gp = Arrays.copyOf(gp, gp.length + (a.length == 1 ? 1 : 0) + (b.length == 1 ? 1 : 0));
            long[] out = c.outputShape(0);
            int batch = out.length - (a.length == 1 ? 0 : 1) - (b.length == 1 ? 0 : 1);
            System.arraycopy(out, 0, gp, 0, batch);
            gp[gp.length - 2] = ap[ap.length - 2];
            gp[gp.length - 1] = bp[bp.length - 1];
        }
        String g = a.length == 1 || b.length == 1 ? c.reshape(c.grad(0), gp) : c.grad(0);
        if (c.needsGrad(0)) {
            String bt = transposeLast(c, promote(c, c.input(1), b, bp), bp.length);
            long[] full = withLast(gp, ap[ap.length - 2], ap[ap.length - 1]);
            c.addGrad(0, restore(c, c.unbroadcast(c.op("MatMul", g, bt), full, ap), ap, a));
        }
        if (c.needsGrad(1)) {
            String at = transposeLast(c, promote(c, c.input(0), a, ap), ap.length);
            long[] full = withLast(gp, bp[bp.length - 2], bp[bp.length - 1]);
            c.addGrad(1, restore(c, c.unbroadcast(c.op("MatMul", at, g), full, bp), bp, b));
        }
    }

    private static String promote(RuleContext c, String x, long[] shape, long[] promoted) {
        return shape.length == promoted.length ? x : c.reshape(x, promoted);
    }

    private static String restore(RuleContext c, String x, long[] promoted, long[] shape) {
        return promoted.length == shape.length ? x : c.reshape(x, shape);
    }

    private static String transposeLast(RuleContext c, String x, int rank) {
        long[] perm = new long[rank];
        for (int i = 0; i < rank; i++) {
            perm[i] = i;
        }
        perm[rank - 2] = rank - 1;
        perm[rank - 1] = rank - 2;
        return c.op("Transpose", x, Attr.ints("perm", perm));
    }

    private static long[] withLast(long[] shape, long m, long n) {
        long[] s = shape.clone();
        s[s.length - 2] = m;
        s[s.length - 1] = n;
        return s;
    }
}
