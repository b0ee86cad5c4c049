package org.explain4j.onnx.grad.propagation;

import java.util.Arrays;
import org.explain4j.core.Tensor;
import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/**
 * LRP z^B (Montavon et al., 2017) for inputs bounded by {@code low <= x <= high}, as Zennit
 * 0.5.1's {@code ZBox}: {@code z = W x - W+ l - W- h} (the biases of Zennit's three terms cancel),
 * {@code R_x = x W^T s - l W+^T s - h W-^T s} with {@code s = R_z / stabilize(z)}. The bounds are
 * the parameters {@code low} and {@code high} (scalars), or per-element tensors given to the
 * constructor (one example's shape, or the input's rank with dimensions of 1 or the input's size).
 * Parameter {@code stabilizer} (else {@code epsilon}), 1e-6 by default.
 */
final class ZBoxRule implements OpRule {
    private final Tensor low;
    private final Tensor high;

    /** Scalar bounds from the rule set's {@code low} and {@code high} parameters. */
    ZBoxRule() {
        this(null, null);
    }

    /** Per-element bounds (null for the scalar parameters). */
    ZBoxRule(Tensor low, Tensor high) {
        this.low = low;
        this.high = high;
    }

    @Override
    public void backward(RuleContext c) {
        LinearLayer l = LinearLayer.of(c);
        int t = l.type();
        double eps = Emit.stabilizer(c, 1e-6);
        String lo = bound(c, l, low, "low");
        String hi = bound(c, l, high, "high");
        String wp = Emit.positive(c, l.weight());
        String wn = Emit.negative(c, l.weight());
        String z = Emit.sub(c, Emit.sub(c, l.forward(l.x(), l.weight(), null), l.forward(lo, wp, null)),
                l.forward(hi, wn, null));
        String s = Emit.divideStabilized(c, c.grad(0), z, eps, t);
        String r = Emit.sub(c, Emit.sub(c, Emit.mul(c, l.x(), l.backward(s, l.weight())),
                Emit.mul(c, lo, l.backward(s, wp))), Emit.mul(c, hi, l.backward(s, wn)));
        l.addRelevance(r);
    }

    /** The bound as a tensor of the input's shape. */
    private static String bound(RuleContext c, LinearLayer l, Tensor given, String name) {
        long[] x = l.xShape();
        int t = l.type();
        if (given == null) {
            double v = c.param(name, Double.NaN);
            if (!Double.isFinite(v)) {
                throw c.unsupported("the zbox rule needs finite bounds 'low' and 'high' (parameter '" + name
                        + "' is " + (Double.isNaN(v) ? "missing" : v) + ")");
            }
            return c.op("Expand", c.scalar(v, t), c.longs(x));
        }
        long[] shape = Arrays.stream(given.shape()).asLongStream().toArray();
        if (shape.length == x.length - 1) {
            long[] withBatch = new long[x.length];
            withBatch[0] = 1;
            System.arraycopy(shape, 0, withBatch, 1, shape.length);
            shape = withBatch;
        }
        boolean ok = shape.length == x.length;
        for (int i = 0; ok && i < x.length; i++) {
            ok = shape[i] == 1 || shape[i] == x[i];
        }
        if (!ok) {
            throw c.unsupported("the zbox bound '" + name + "' has shape " + Tensor.shapeString(given.shape())
                    + ", which does not broadcast to the layer input's shape " + Arrays.toString(x));
        }
        return c.op("Expand", c.constant(t, shape, given.toDoubleArray()), c.longs(x));
    }
}
