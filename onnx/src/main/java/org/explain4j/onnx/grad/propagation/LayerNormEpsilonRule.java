package org.explain4j.onnx.grad.propagation;

import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/**
 * LRP at LayerNormalization as AttnLRP treats normalisation layers (Achtibat et al., ICML 2024): the
 * identity rule through the division by the standard deviation, i.e. the layer is the linear map
 * {@code y = gamma (x - mean(x)) / sigma + beta} with {@code sigma = sqrt(var(x) + eps)} held fixed,
 * under the epsilon rule: with {@code s = R / stabilize(y)} and {@code u = gamma s / sigma},
 * {@code R_x = x * (u - mean(u))} over the normalised axes. Conserves relevance when {@code beta = 0}
 * (up to the stabiliser). Parameter {@code stabilizer} (else {@code epsilon}), 1e-6 by default.
 */
final class LayerNormEpsilonRule implements OpRule {
    @Override
    public void backward(RuleContext c) {
        c.requireNoGrad(1);
        c.requireNoGrad(2);
        int t = c.inputType(0);
        long[] axes = Axes.layerNorm(c);
        long n = Axes.count(c.inputShape(0), axes);
        String x = c.input(0);
        String centred = Emit.sub(c, x, Axes.mean(c, x, axes, n, t));
        String variance = Axes.mean(c, Emit.mul(c, centred, centred), axes, n, t);
        String sigma = c.op("Sqrt", Emit.add(c, variance, c.scalar(c.attrFloat("epsilon", 1e-5f), t)));
        String s = Emit.divideStabilized(c, c.grad(0), c.output(0), Emit.stabilizer(c, 1e-6), t);
        String u = c.op("Div", Emit.mul(c, s, c.input(1)), sigma);
        c.addGrad(0, Emit.mul(c, x, Emit.sub(c, u, Axes.mean(c, u, axes, n, t))));
    }
}
