package org.explain4j.onnx.grad.propagation;

import java.util.List;
import org.explain4j.onnx.grad.Attr;
import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/**
 * The generalised LRP-gamma rule (Montavon et al., 2019; Andeol et al., 2021) as Zennit 0.5.1's
 * {@code Gamma}: with {@code W^ = W + gamma W+}, {@code W_ = W + gamma W-} (the bias modified
 * likewise), where {@code z > 0} the relevance is normalised by
 * {@code W^ x+ + b^ + W_ x-} and spread by those weights; where {@code z < 0} by
 * {@code W_ x+ + b_ + W^ x-}; where {@code z = 0} nothing passes. Parameters {@code gamma} (0.25)
 * and {@code stabilizer} (else {@code epsilon}, 1e-6).
 */
final class GammaRule implements OpRule {
    @Override
    public void backward(RuleContext c) {
        double gamma = c.param("gamma", 0.25);
        if (!(gamma >= 0) || Double.isInfinite(gamma)) {
            throw c.unsupported("gamma must be zero or positive (got " + gamma + ")");
        }
        LinearLayer l = LinearLayer.of(c);
        int t = l.type();
        double eps = Emit.stabilizer(c, 1e-6);
        String xp = Emit.positive(c, l.x());
        String xn = Emit.negative(c, l.x());
        String wUp = raise(c, l.weight(), true, gamma, t);
        String wDown = raise(c, l.weight(), false, gamma, t);
        String bUp = l.bias() == null ? null : raise(c, l.bias(), true, gamma, t);
        String bDown = l.bias() == null ? null : raise(c, l.bias(), false, gamma, t);
        String zero = c.scalar(0, t);
        String mPos = c.op("Cast", c.op("Greater", l.z(), zero), Attr.i("to", t));
        String mNeg = c.op("Cast", c.op("Less", l.z(), zero), Attr.i("to", t));
        String zPos = Emit.add(c, l.forward(xp, wUp, bUp), l.forward(xn, wDown, null));
        String zNeg = Emit.add(c, l.forward(xp, wDown, bDown), l.forward(xn, wUp, null));
        String sPos = Emit.mul(c, mPos, Emit.divideStabilized(c, c.grad(0), zPos, eps, t));
        String sNeg = Emit.mul(c, mNeg, Emit.divideStabilized(c, c.grad(0), zNeg, eps, t));
        String fromPositiveInputs = Emit.add(c, l.backward(sPos, wUp), l.backward(sNeg, wDown));
        String fromNegativeInputs = Emit.add(c, l.backward(sPos, wDown), l.backward(sNeg, wUp));
        l.addRelevance(Emit.add(c, Emit.mul(c, xp, fromPositiveInputs), Emit.mul(c, xn, fromNegativeInputs)));
    }

    /** {@code p + gamma * max(p, 0)} (up) or {@code p + gamma * min(p, 0)} (down). */
    private static String raise(RuleContext c, String p, boolean up, double gamma, int t) {
        String part = up ? Emit.positive(c, p) : Emit.negative(c, p);
        return c.op("Add", List.of(p, c.op("Mul", part, c.scalar(gamma, t))));
    }
}
