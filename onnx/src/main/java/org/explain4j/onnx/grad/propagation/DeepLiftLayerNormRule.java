package org.explain4j.onnx.grad.propagation;

import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/**
 * DeepLIFT at LayerNormalization, on its decomposition over the normalised axes:
 * {@code c = x - mean(x)} (linear), {@code q = c^2} (exact multiplier {@code c + c_ref}),
 * {@code v = mean(q)} (linear), {@code s = sqrt(v + eps)} (exact multiplier
 * {@code (s - s_ref) / (v - v_ref) = 1 / (s + s_ref)}, also the derivative where {@code v = v_ref}),
 * {@code n = c / s} (the quotient split below) and {@code y = gamma n + beta} (linear). Each piece
 * is complete, so the rule is; it keeps the normalisation's coupling of the features (a change of
 * the variance reaches every feature), and works within each example. Scale and bias must be
 * constants.
 *
 * <p>The quotient splits exactly as {@code n - n_ref = (c - c_ref) 2 / (s + s_ref)
 * - (s - s_ref) (n + n_ref) / (s + s_ref)}: the two orders of the quotient's differences weighted
 * {@code s / (s + s_ref)} and {@code s_ref / (s + s_ref)}. Its multipliers are at most
 * {@code 2 / max(s, s_ref)} and {@code (|n| + |n_ref|) / max(s, s_ref)}, where the product rule on
 * {@code c (1 / s)} ({@code (1/s + 1/s_ref) / 2}, {@code -(c + c_ref) / (2 s s_ref)}) gave both of
 * size {@code 1 / s_ref}: for a reference row that is nearly constant ({@code s_ref ~ sqrt(eps)},
 * 1e-6 for BERT's 1e-12) their contributions cancelled to float32 noise.
 */
final class DeepLiftLayerNormRule implements OpRule {
    @Override
    public void backward(RuleContext c) {
        c.requireNoGrad(1);
        c.requireNoGrad(2);
        Halves h = new Halves(c);
        int t = c.inputType(0);
        long[] axes = Axes.layerNorm(c);
        long n = Axes.count(c.inputShape(0), axes);
        String x = c.input(0);
        // 1. The forward pass of the decomposition.
        String centred = Emit.sub(c, x, Axes.mean(c, x, axes, n, t));
        String v = Axes.mean(c, Emit.mul(c, centred, centred), axes, n, t);
        String s = c.op("Sqrt", Emit.add(c, v, c.scalar(c.attrFloat("epsilon", 1e-5f), t)));
        String normed = c.op("Div", centred, s);
        // 2. The affine map and the quotient n = c / s: multipliers 2 / (s + s_ref) and -(n + n_ref) / (s + s_ref).
        String sumS = Emit.add(c, h.first(c, s), h.second(c, s));
        String inv = c.op("Reciprocal", Emit.stack(c, sumS, sumS));
        String sumN = Emit.add(c, h.first(c, normed), h.second(c, normed));
        String gN = Emit.mul(c, c.grad(0), c.input(1));
        String gC = Emit.mul(c, gN, Emit.mul(c, c.scalar(2, t), inv));
        String gS = c.op("Neg", Emit.mul(c, c.reduceSum(Emit.mul(c, gN, Emit.stack(c, sumN, sumN)), axes, true), inv));
        // 3. s(v): (s - s_ref) / (v - v_ref) = 1 / (s + s_ref) exactly; then the mean and the square
        // (exact: q - q_ref = (c + c_ref)(c - c_ref)).
        String gV = Emit.mul(c, gS, inv);
        String sumC = Emit.add(c, h.first(c, centred), h.second(c, centred));
        String gQ = Emit.mul(c, gV, c.scalar(1.0 / n, t));
        gC = Emit.add(c, gC, Emit.mul(c, gQ, Emit.stack(c, sumC, sumC)));
        // 4. The centring's gradient.
        c.addGrad(0, Emit.sub(c, gC, Axes.mean(c, gC, axes, n, t)));
    }
}
