package org.explain4j.onnx.grad.propagation;

import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/**
 * LRP flat (Lapuschkin et al., 2019) and w-square (Montavon et al., 2017) as Zennit 0.5.1's
 * {@code Flat} and {@code WSquare}: the input is replaced by ones and the weights by ones (flat,
 * bias dropped) or by their squares (w-square, bias squared too);
 * {@code R_x = W'^T (R_z / stabilize(W' 1 + b'))}, which does not depend on the input's values.
 * Parameter {@code stabilizer} (else {@code epsilon}), 1e-6 by default.
 */
final class FlatRule implements OpRule {
    private final boolean square;

    FlatRule(boolean square) {
        this.square = square;
    }

    @Override
    public void backward(RuleContext c) {
        LinearLayer l = LinearLayer.of(c);
        int t = l.type();
        double eps = Emit.stabilizer(c, 1e-6);
        String w = square ? Emit.mul(c, l.weight(), l.weight()) : Emit.ones(c, l.weightShape(), t);
        String b = square && l.bias() != null ? Emit.mul(c, l.bias(), l.bias()) : null;
        String z = l.forward(Emit.ones(c, l.xShape(), t), w, b);
        l.addRelevance(l.backward(Emit.divideStabilized(c, c.grad(0), z, eps, t), w));
    }
}
