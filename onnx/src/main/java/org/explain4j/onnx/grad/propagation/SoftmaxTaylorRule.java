package org.explain4j.onnx.grad.propagation;

import java.util.List;
import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/**
 * AttnLRP's softmax rule (Achtibat et al., ICML 2024, Proposition 3.1: Deep Taylor Decomposition of
 * {@code y = softmax(x)} at {@code x}, the bias absorbing the rest): along the softmax axes,
 * {@code R_x = x * (R - y * sum(R))}. It does not conserve relevance (the bias term takes
 * {@code sum(R) - sum(R_x)}). A masked score of {@code -inf} gets no relevance (taken as 0, as the
 * authors' LXT library does); a large finite mask value gets {@code x * R_x}'s factor, 0 where the
 * masked probability is 0.
 */
final class SoftmaxTaylorRule implements OpRule {
    @Override
    public void backward(RuleContext c) {
        int t = c.inputType(0);
        String r = c.grad(0);
        String y = c.output(0);
        String x = c.input(0);
        String finite = c.op("Where", List.of(c.op("IsInf", x), c.scalar(0, t), x));
        String inner = Emit.sub(c, r, Emit.mul(c, y, c.reduceSum(r, Axes.softmax(c), true)));
        c.addGrad(0, Emit.mul(c, finite, inner));
    }
}
