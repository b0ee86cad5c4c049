package org.explain4j.onnx.grad.rules;

import java.util.List;
import org.explain4j.onnx.grad.Attr;
import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/**
 * TopK (ONNX opset 11+): the gradient of the Values output is scattered back to the positions the
 * Indices output chose along {@code axis} (ScatterElements into zeros; the chosen indices are
 * distinct, so nothing overlaps); the Indices output is integer and carries no gradient. Ties are
 * resolved as the forward op resolved them (ONNX: the lower index first).
 */
final class TopKRule implements OpRule {
    @Override
    public void backward(RuleContext c) {
        c.requireNoGrad(1);
        String g = c.grad(0);
        if (g == null) {
            return;
        }
        long[] in = c.inputShape(0);
        int axis = RuleContext.axis(c.attrInt("axis", -1), in.length);
        String indices = c.forwardOutput(1);
        String zeros = c.zeros(in, c.inputType(0));
        c.addGrad(0, c.op("ScatterElements", List.of(zeros, indices, g), Attr.i("axis", axis)));
    }
}
