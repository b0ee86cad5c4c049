package org.explain4j.onnx.grad.propagation;

import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/**
 * LRP-epsilon at a MatMul of two tensors that both depend on the input ({@code O = A B}: attention
 * scores {@code Q K^T}, the attention-weighted values {@code P V}), as AttnLRP (Achtibat et al., ICML
 * 2024; LXT's {@code matmul}: the epsilon rule and the uniform rule applied in sequence): the product
 * is a sum of elementwise products, so the epsilon rule on the sum and the uniform rule on each
 * product give, with {@code s = R / stabilize(O)},
 * {@code R_A = A * (s B^T) / 2} and {@code R_B = B * (A^T s) / 2} (summed over broadcast batch
 * dimensions). Both operands get relevance, and together they conserve it. Parameter
 * {@code epsilon} (else {@code stabilizer}), 1e-9 by default.
 */
final class BilinearEpsilonRule implements OpRule {
    @Override
    public void backward(RuleContext c) {
        long[] a = c.inputShape(0);
        long[] b = c.inputShape(1);
        long[] out = c.outputShape(0);
        if (a.length < 2 || b.length < 2) {
            throw c.unsupported("the epsilon rule on a MatMul of two activations needs operands of rank 2 or more");
        }
        int t = c.inputType(0);
        double eps = c.param("epsilon", c.param("stabilizer", 1e-9));
        if (!(eps >= 0) || Double.isInfinite(eps)) {
            throw c.unsupported("epsilon must be zero or positive (got " + eps + ")");
        }
        String s = Emit.mul(c, Emit.divideStabilized(c, c.grad(0), c.output(0), eps, t), c.scalar(0.5, t));
        String toA = c.op("MatMul", s, Axes.transposeLast(c, c.input(1), b.length));
        String toB = c.op("MatMul", Axes.transposeLast(c, c.input(0), a.length), s);
        c.addGrad(0, Emit.mul(c, c.input(0), c.unbroadcast(toA, withLast(out, a), a)));
        c.addGrad(1, Emit.mul(c, c.input(1), c.unbroadcast(toB, withLast(out, b), b)));
    }

    /** {@code out}'s batch dimensions with {@code operand}'s last two. */
    static long[] withLast(long[] out, long[] operand) {
        long[] s = out.clone();
        s[s.length - 2] = operand[operand.length - 2];
        s[s.length - 1] = operand[operand.length - 1];
        return s;
    }
}
