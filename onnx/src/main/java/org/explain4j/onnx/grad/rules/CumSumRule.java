package org.explain4j.onnx.grad.rules;

import java.util.List;
import org.explain4j.onnx.grad.Attr;
import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/**
 * CumSum (ONNX opset 11-14): {@code y_i = sum_{j <= i} x_j} (strictly before i when
 * {@code exclusive}, from the end when {@code reverse}), so {@code dx_j = sum_{i >= j} g_i}: the
 * gradient's cumulative sum along the same axis in the other direction, with the same
 * {@code exclusive}.
 */
final class CumSumRule implements OpRule {
    @Override
    public void backward(RuleContext c) {
        c.requireNoGrad(1);
        long reverse = c.attrInt("reverse", 0);
        c.addGrad(0, c.op("CumSum", List.of(c.grad(0), c.input(1)), Attr.i("exclusive", c.attrInt("exclusive", 0)),
                Attr.i("reverse", 1 - reverse)));
    }
}
