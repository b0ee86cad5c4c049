package org.explain4j.onnx.grad.propagation;

import java.util.List;
import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/**
 * DeepLIFT at a product of two tensors that both depend on the input: elementwise (Mul: gates,
 * squeeze-and-excitation, gated MLPs) or matrix (MatMul: attention's {@code Q K^T} and {@code P V}).
 * For {@code z = a b} the difference from the reference splits exactly as
 * {@code z - z_ref = (a - a_ref) (b + b_ref) / 2 + (a + a_ref) / 2 (b - b_ref)} (the order of the
 * factors kept for MatMul), so the multipliers are the gradient with each other factor replaced by
 * its mean over the input and the reference, {@code (b + b_ref) / 2} and {@code (a + a_ref) / 2}: the
 * Shapley value of the two factors' differences, and complete. Both halves of the batch get the
 * same multipliers. With a constant factor, or a division by a constant, the op is linear and gets
 * its gradient. A division {@code a / b} by a tensor that depends on the input (a decomposed
 * LayerNorm's division by the standard deviation, a cosine's by a norm) gets the exact quotient split
 * of {@link #divide}: multipliers {@code 2 / (b + b_ref)} for {@code a} and
 * {@code -(y + y_ref) / (b + b_ref)} for {@code b} where {@code b b_ref > 0}, the product rule on
 * {@code a (1 / b)} elsewhere; complete.
 */
final class DeepLiftProductRule implements OpRule {
    private final OpRule gradient;

    DeepLiftProductRule(OpRule gradient) {
        this.gradient = gradient;
    }

    @Override
    public void backward(RuleContext c) {
        if (!(c.needsGrad(0) && c.needsGrad(1))) {
            gradient.backward(c);
            return;
        }
        long[] out = c.outputShape(0);
        boolean elementwise = c.opType().equals("Mul") || c.opType().equals("Div");
        for (int i = 0; i < 2; i++) {
            long[] s = c.inputShape(i);
            if (s.length == 0 || s[0] != out[0] || (elementwise && s.length != out.length)) {
                throw c.unsupported("the DeepLIFT product rule needs both factors to hold the batch of inputs and"
                        + " references along axis 0, but input " + i + " has shape " + java.util.Arrays.toString(s));
            }
        }
        String g = c.grad(0);
        if (c.opType().equals("Div")) {
            divide(c, g, out);
            return;
        }
        String a = mean(c, c.input(0));
        String b = mean(c, c.input(1));
        switch (c.opType()) {
            case "Mul" -> {
                c.addGrad(0, c.unbroadcast(Emit.mul(c, g, b), out, c.inputShape(0)));
                c.addGrad(1, c.unbroadcast(Emit.mul(c, g, a), out, c.inputShape(1)));
            }
            case "MatMul" -> {
                long[] sa = c.inputShape(0);
                long[] sb = c.inputShape(1);
                if (sa.length < 2 || sb.length < 2) {
                    throw c.unsupported("the DeepLIFT product rule on MatMul needs operands of rank 2 or more");
                }
                String toA = c.op("MatMul", g, Axes.transposeLast(c, b, sb.length));
                String toB = c.op("MatMul", Axes.transposeLast(c, a, sa.length), g);
                c.addGrad(0, c.unbroadcast(toA, BilinearEpsilonRule.withLast(out, sa), sa));
                c.addGrad(1, c.unbroadcast(toB, BilinearEpsilonRule.withLast(out, sb), sb));
            }
            default -> throw c.unsupported("the DeepLIFT product rule applies to Mul, Div and MatMul only");
        }
    }

    /**
     * {@code y = a / b}. Where {@code b} and {@code b_ref} have the same sign (a standard deviation, a
     * norm): the exact quotient split {@code y - y_ref = (a - a_ref) 2 / (b + b_ref)
     * - (b - b_ref) (y + y_ref) / (b + b_ref)}, the two orders of the quotient's differences weighted
     * {@code b / (b + b_ref)} and {@code b_ref / (b + b_ref)}, whose multipliers are at most
     * {@code 2 / max(|b|, |b_ref|)} and {@code (|y| + |y_ref|) / max(|b|, |b_ref|)}. Elsewhere (the
     * weights would leave [0, 1]) the product rule on {@code a (1 / b)}: {@code (1/b + 1/b_ref) / 2}
     * and {@code -(a + a_ref) / (2 b b_ref)}; exact too, but of size {@code 1 / min(|b|, |b_ref|)}, which
     * cancelled catastrophically for a written-out LayerNorm against a nearly constant reference row.
     */
    private static void divide(RuleContext c, String g, long[] out) {
        Halves h = new Halves(c);
        int t = c.inputType(1);
        String b1 = h.first(c, c.input(1));
        String b2 = h.second(c, c.input(1));
        String same = c.op("Greater", Emit.mul(c, b1, b2), c.scalar(0, t));
        String invSum = c.op("Reciprocal", Emit.add(c, b1, b2));
        String y = mean(c, c.output(0));
        String toA = c.op("Where", List.of(same, Emit.mul(c, invSum, c.scalar(2, t)),
                Emit.mul(c, Emit.add(c, c.op("Reciprocal", b1), c.op("Reciprocal", b2)), c.scalar(0.5, t))));
        String a = mean(c, c.input(0));
        String bb = Emit.mul(c, b1, b2);
        String toB = c.op("Neg", c.op("Where", List.of(Emit.stack(c, same, same),
                Emit.mul(c, Emit.mul(c, y, c.scalar(2, t)), Emit.stack(c, invSum, invSum)),
                c.op("Div", a, Emit.stack(c, bb, bb)))));
        c.addGrad(0, c.unbroadcast(Emit.mul(c, g, Emit.stack(c, toA, toA)), out, c.inputShape(0)));
        c.addGrad(1, c.unbroadcast(Emit.mul(c, g, toB), out, c.inputShape(1)));
    }

    /** {@code [(t + t_ref) / 2; (t + t_ref) / 2]}. */
    private static String mean(RuleContext c, String t) {
        Halves h = new Halves(c);
        String m = Emit.mul(c, Emit.add(c, h.first(c, t), h.second(c, t)), c.scalar(0.5, c.meta(t).elemType()));
        return Emit.stack(c, m, m);
    }
}
