package org.explain4j.onnx.grad.propagation;

import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/**
 * LRP alpha-beta (Bach et al., 2015) as Zennit 0.5.1's {@code AlphaBeta}: positive contributions
 * {@code z+ = W+ x+ + b+ + W- x-} and negative ones {@code z- = W- x+ + b- + W+ x-} are normalised
 * separately; {@code R_x = alpha (x+ W+^T s+ + x- W-^T s+) - beta (x+ W-^T s- + x- W+^T s-)} with
 * {@code s+- = R_z / stabilize(z+-)}. Parameters {@code alpha} (2), {@code beta} (1),
 * {@code stabilizer} (else {@code epsilon}, 1e-6); relevance is conserved when alpha - beta = 1.
 */
final class AlphaBetaRule implements OpRule {
    @Override
    public void backward(RuleContext c) {
        double alpha = c.param("alpha", 2);
        double beta = c.param("beta", 1);
        if (!(alpha >= 0) || !(beta >= 0)) {
            throw c.unsupported("alpha and beta must be zero or positive (got " + alpha + " and " + beta + ")");
        }
        LinearLayer l = LinearLayer.of(c);
        int t = l.type();
        double eps = Emit.stabilizer(c, 1e-6);
        String xp = Emit.positive(c, l.x());
        String xn = Emit.negative(c, l.x());
        String wp = Emit.positive(c, l.weight());
        String wn = Emit.negative(c, l.weight());
        String bp = l.bias() == null ? null : Emit.positive(c, l.bias());
        String bn = l.bias() == null ? null : Emit.negative(c, l.bias());
        String zp = Emit.add(c, l.forward(xp, wp, bp), l.forward(xn, wn, null));
        String zn = Emit.add(c, l.forward(xp, wn, bn), l.forward(xn, wp, null));
        String sp = Emit.divideStabilized(c, c.grad(0), zp, eps, t);
        String sn = Emit.divideStabilized(c, c.grad(0), zn, eps, t);
        String pos = Emit.add(c, Emit.mul(c, xp, l.backward(sp, wp)), Emit.mul(c, xn, l.backward(sp, wn)));
        String neg = Emit.add(c, Emit.mul(c, xp, l.backward(sn, wn)), Emit.mul(c, xn, l.backward(sn, wp)));
        l.addRelevance(Emit.sub(c, Emit.mul(c, pos, c.scalar(alpha, t)), Emit.mul(c, neg, c.scalar(beta, t))));
    }
}
