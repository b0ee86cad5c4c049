package org.explain4j.onnx.grad.propagation;

import java.util.List;
import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/**
 * DeepLIFT at LayerNormalization, on its decomposition over the normalised axes:
 * {@code c = x - mean(x)} (linear), {@code q = c^2} (exact multiplier {@code c + c_ref}),
 * {@code v = mean(q)} (linear), {@code r = (v + eps)^(-1/2)} (rescale, {@code -r^3 / 2} where
 * {@code |v - v_ref| < 1e-10}), {@code n = c r} (product rule, {@link DeepLiftProductRule}) and
 * {@code y = gamma n + beta} (linear). Each piece is complete, so the rule is; it keeps the
 * normalisation's coupling of the features (a change of the variance reaches every feature), and
 * works within each example. Scale and bias must be constants.
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
        String r = c.op("Reciprocal", c.op("Sqrt", Emit.add(c, v, c.scalar(c.attrFloat("epsilon", 1e-5f), t))));
        // 2. The affine map and the product n = c r.
        String gN = Emit.mul(c, c.grad(0), c.input(1));
        String gC = Emit.mul(c, gN, DeepLiftSoftmaxRule.mean(c, h, r, t));
        String gR = c.reduceSum(Emit.mul(c, gN, DeepLiftSoftmaxRule.mean(c, h, centred, t)), axes, true);
        // 3. Rescale on r(v), then the mean and the square (exact: q - q_ref = (c + c_ref)(c - c_ref)).
        String dv = h.delta(c, v);
        String small = c.op("Less", c.op("Abs", dv), c.scalar(RescaleRule.EPS, t));
        String safe = c.op("Where", List.of(small, c.scalar(1, t), dv));
        String local = Emit.mul(c, c.scalar(-0.5, t), Emit.mul(c, r, Emit.mul(c, r, r)));
        String gV = Emit.mul(c, gR, c.op("Where", List.of(small, local, c.op("Div", h.delta(c, r), safe))));
        String sumC = Emit.add(c, h.first(c, centred), h.second(c, centred));
        String gQ = Emit.mul(c, gV, c.scalar(1.0 / n, t));
        gC = Emit.add(c, gC, Emit.mul(c, gQ, Emit.stack(c, sumC, sumC)));
        // 4. The centring's gradient.
        c.addGrad(0, Emit.sub(c, gC, Axes.mean(c, gC, axes, n, t)));
    }
}
