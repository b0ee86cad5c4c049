package org.explain4j.onnx.grad.propagation;

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
 * its gradient; a division by a tensor that depends on the input is refused.
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
        if (c.opType().equals("Div")) {
            throw c.unsupported("DeepLIFT has no rule for a division by a tensor that depends on the input (only"
                    + " by a constant)");
        }
        long[] out = c.outputShape(0);
        for (int i = 0; i < 2; i++) {
            long[] s = c.inputShape(i);
            if (s.length == 0 || s[0] != out[0] || (c.opType().equals("Mul") && s.length != out.length)) {
                throw c.unsupported("the DeepLIFT product rule needs both factors to hold the batch of inputs and"
                        + " references along axis 0, but input " + i + " has shape " + java.util.Arrays.toString(s));
            }
        }
        String a = mean(c, c.input(0));
        String b = mean(c, c.input(1));
        String g = c.grad(0);
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

    /** {@code [(t + t_ref) / 2; (t + t_ref) / 2]}. */
    private static String mean(RuleContext c, String t) {
        Halves h = new Halves(c);
        String m = Emit.mul(c, Emit.add(c, h.first(c, t), h.second(c, t)), c.scalar(0.5, c.meta(t).elemType()));
        return Emit.stack(c, m, m);
    }
}
