package org.explain4j.onnx.grad.propagation;

import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/**
 * LRP-epsilon (Bach et al., 2015) on a linear layer {@code z = W x + b}:
 * {@code R_x = x * W^T (R_z / (z + eps * sign(z)))}, with {@code sign(0) = +1} and {@code z}
 * including the bias (Zennit's {@code Epsilon} and Captum's {@code EpsilonRule} agree on this
 * form). Parameter {@code epsilon}, 1e-9 by default (Captum's default).
 *
 * <p>As LRP-0 ({@code zero}) the epsilon is 0, and a zero {@code z} passes no relevance.
 */
final class EpsilonRule implements OpRule {
    private final boolean zero;

    EpsilonRule(boolean zero) {
        this.zero = zero;
    }

    @Override
    public void backward(RuleContext c) {
        LinearLayer l = LinearLayer.of(c);
        double eps = zero ? 0 : c.param("epsilon", 1e-9);
        if (!(eps >= 0) || Double.isInfinite(eps)) {
            throw c.unsupported("epsilon must be zero or positive (got " + eps + ")");
        }
        String s = Emit.divideStabilized(c, c.grad(0), l.z(), eps, l.type());
        l.addRelevance(Emit.mul(c, l.x(), l.backward(s, l.weight())));
    }
}
