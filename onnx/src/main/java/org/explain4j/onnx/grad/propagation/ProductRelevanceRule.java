package org.explain4j.onnx.grad.propagation;

import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/**
 * LRP at an elementwise product {@code z = a * b} (Mul) or a division by a constant (Div), after
 * AttnLRP (Achtibat et al., ICML 2024, Proposition 3.2):
 *
 * <ul>
 *   <li>one factor constant (a scale, a mask) or a division by a constant: the identity rule,
 *       {@code R_a = R} (summed over the dimensions {@code a} was broadcast along);</li>
 *   <li>both factors depend on the input, uniform rule: {@code R_a = R_b = R / 2} (each summed to its
 *       factor's shape);</li>
 *   <li>gate ({@code gate = true}): where one factor has fewer elements than the other and is
 *       broadcast over it (squeeze-and-excitation's {@code [N, C, 1, 1]} gate on a feature map), the
 *       gate is treated as a constant re-weighting: all of {@code R} goes to the gated factor, none
 *       into the gate branch. Factors of equal shape (gated MLPs, SiLU written as {@code x * sigmoid(x)})
 *       get the uniform rule.</li>
 * </ul>
 *
 * A division by a tensor that depends on the input is refused, except under the gate rule where the
 * divisor has fewer elements and is broadcast over the numerator (a decomposed LayerNorm's
 * {@code (x - mean) / sqrt(var + eps)}): all of {@code R} goes to the numerator, as AttnLRP's
 * LayerNorm rule treats the standard deviation. Every case conserves relevance.
 */
final class ProductRelevanceRule implements OpRule {
    private final boolean gate;

    ProductRelevanceRule(boolean gate) {
        this.gate = gate;
    }

    @Override
    public void backward(RuleContext c) {
        long[] out = c.outputShape(0);
        String r = c.grad(0);
        if (c.opType().equals("Div")) {
            if (c.needsGrad(1)) {
                // a divisor broadcast over the numerator (a decomposed LayerNorm's (x - mean) / std) is a
                // normaliser: under the gate rule all the relevance goes to the numerator, as AttnLRP's
                // LayerNorm rule passes relevance through the division by the standard deviation
                if (gate && c.needsGrad(0) && Emit.size(c.inputShape(1)) < Emit.size(c.inputShape(0))
                        && Emit.size(c.inputShape(0)) == Emit.size(out)) {
                    c.addGrad(0, c.unbroadcast(r, out, c.inputShape(0)));
                    return;
                }
                throw c.unsupported("LRP has no rule for a division by a tensor that depends on the input (only"
                        + " by a constant, or under the gate rule by a divisor broadcast over the numerator)");
            }
            c.addGrad(0, c.unbroadcast(r, out, c.inputShape(0)));
            return;
        }
        if (!c.opType().equals("Mul")) {
            throw c.unsupported("the " + (gate ? "gate" : "uniform") + " rule applies to Mul and Div only");
        }
        if (!(c.needsGrad(0) && c.needsGrad(1))) {
            int i = c.needsGrad(0) ? 0 : 1;
            c.addGrad(i, c.unbroadcast(r, out, c.inputShape(i)));
            return;
        }
        long a = Emit.size(c.inputShape(0));
        long b = Emit.size(c.inputShape(1));
        if (gate && a != b) {
            int gated = a > b ? 0 : 1;
            c.addGrad(gated, c.unbroadcast(r, out, c.inputShape(gated)));
            return;
        }
        String half = Emit.mul(c, r, c.scalar(0.5, c.inputType(0)));
        for (int i = 0; i < 2; i++) {
            c.addGrad(i, c.unbroadcast(half, out, c.inputShape(i)));
        }
    }
}
