package org.explain4j.onnx.grad.rules;

import java.util.List;
import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/**
 * ThresholdedRelu (ONNX opset 10), {@code y = x} for {@code x > alpha} (default 1) and 0
 * elsewhere: {@code g} where {@code x > alpha}, 0 elsewhere (at {@code x = alpha} the output is 0
 * and so is the gradient, as PyTorch's {@code threshold_backward}).
 */
final class ThresholdedReluRule implements OpRule {
    @Override
    public void backward(RuleContext c) {
        int t = c.inputType(0);
        String above = c.op("Greater", c.input(0), c.scalar(c.attrFloat("alpha", 1f), t));
        c.addGrad(0, c.op("Where", List.of(above, c.grad(0), c.scalar(0, t))));
    }
}
