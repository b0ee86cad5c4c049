package org.explain4j.onnx.grad.rules;

import java.util.ArrayList;
import java.util.List;
import org.explain4j.onnx.grad.Attr;
import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/**
 * Trilu (ONNX opset 14): keeping the upper or lower triangle (diagonal offset k) is a 0/1 mask,
 * so the gradient is the same Trilu (same {@code upper}, same k input) applied to the gradient.
 */
final class TriluRule implements OpRule {
    @Override
    public void backward(RuleContext c) {
        c.requireNoGrad(1);
        List<String> in = new ArrayList<>(List.of(c.grad(0)));
        if (c.hasInput(1)) {
            in.add(c.input(1));
        }
        c.addGrad(0, c.op("Trilu", in, Attr.i("upper", c.attrInt("upper", 1))));
    }
}
