package org.explain4j.onnx.grad.rules;

import org.explain4j.onnx.grad.RuleContext;

/**
 * Gradients of ops that are separable linear maps, one per axis (Resize and Upsample, Pad in
 * reflect/edge/wrap mode): along axis {@code a} the forward op maps {@code in} values to
 * {@code out} values by a fixed {@code out x in} matrix M, so the gradient along that axis is
 * {@code M^T g}. The matrices are computed when the graph is built (the shapes are concrete) and
 * applied as one MatMul per axis that changes: the gradient viewed as {@code [pre, out, post]}
 * and multiplied by {@code M^T [in, out]} on the left (for the last axis, {@code [pre, out]}
 * times M on the right, a single matrix product).
 */
final class AxisMaps {
    private AxisMaps() {
    }

    /**
     * The gradient of the whole op: {@code grad} has shape {@code outShape}; {@code maps[a]} is the
     * {@code out x in} matrix of axis a, or null where the axis is copied unchanged.
     */
    static String transposedApply(RuleContext c, String grad, long[] outShape, double[][][] maps, int elemType) {
        long[] shape = outShape.clone();
        String g = grad;
        for (int a = 0; a < shape.length; a++) {
            double[][] m = maps[a];
            if (m == null) {
                continue;
            }
            int out = m.length;
            int in = m[0].length;
            long pre = 1;
            long post = 1;
            for (int i = 0; i < a; i++) {
                pre *= shape[i];
            }
            for (int i = a + 1; i < shape.length; i++) {
                post *= shape[i];
            }
            String r;
            if (post == 1) {
                // the last axis: one [pre, out] x [out, in] product
                double[] flat = new double[out * in];
                for (int o = 0; o < out; o++) {
                    System.arraycopy(m[o], 0, flat, o * in, in);
                }
                r = c.op("MatMul", c.reshape(g, new long[] {pre, out}), c.constant(elemType, new long[] {out, in}, flat));
            } else {
                double[] mt = new double[in * out];
                for (int o = 0; o < out; o++) {
                    for (int i = 0; i < in; i++) {
                        mt[i * out + o] = m[o][i];
                    }
                }
                String w = c.constant(elemType, new long[] {in, out}, mt);
                r = c.op("MatMul", w, c.reshape(g, new long[] {pre, out, post}));
            }
            shape[a] = in;
            g = c.reshape(r, shape);
        }
        return g;
    }

    /** The 0/1 matrix of an index map: output position o reads input position {@code source[o]}. */
    static double[][] selection(int[] source, int in) {
        double[][] m = new double[source.length][in];
        for (int o = 0; o < source.length; o++) {
            m[o][source[o]] = 1;
        }
        return m;
    }
}
