package org.explain4j.onnx.grad.propagation;

import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/**
 * LRP z+ as Zennit 0.5.1's {@code ZPlus} (alpha 1, beta 0, negative inputs allowed): the positive
 * contributions {@code z+ = W+ x+ + b+ + W- x-}, where the bias's positive part is kept with the
 * positive weights and the negative-weight term has no bias;
 * {@code R_x = x+ * W+^T s + x- * W-^T s} with {@code s = R_z / stabilize(z+)}.
 * Parameter {@code stabilizer} (else {@code epsilon}), 1e-6 by default.
 */
final class ZPlusRule implements OpRule {
    @Override
    public void backward(RuleContext c) {
        LinearLayer l = LinearLayer.of(c);
        double eps = Emit.stabilizer(c, 1e-6);
        String xp = Emit.positive(c, l.x());
        String xn = Emit.negative(c, l.x());
        String wp = Emit.positive(c, l.weight());
        String wn = Emit.negative(c, l.weight());
        String bp = l.bias() == null ? null : Emit.positive(c, l.bias());
        String z = Emit.add(c, l.forward(xp, wp, bp), l.forward(xn, wn, null));
        String s = Emit.divideStabilized(c, c.grad(0), z, eps, l.type());
        l.addRelevance(Emit.add(c, Emit.mul(c, xp, l.backward(s, wp)), Emit.mul(c, xn, l.backward(s, wn))));
    }
}
