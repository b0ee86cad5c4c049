package org.explain4j.onnx.grad.rules;

import java.util.List;
import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/**
 * Elu (Clevert et al., 2016), {@code y = x} for {@code x > 0} and {@code alpha (exp(x) - 1)}
 * elsewhere: {@code g} where the input is positive, {@code g * (y + alpha)} (that is
 * {@code alpha exp(x)}) elsewhere, as PyTorch's {@code elu_backward}.
 */
final class EluRule implements OpRule {
    @Override
    public void backward(RuleContext c) {
        int t = c.inputType(0);
        String positive = c.op("Greater", c.input(0), c.scalar(0, t));
        String slope = c.op("Add", c.output(0), c.scalar(c.attrFloat("alpha", 1f), t));
        c.addGrad(0, c.op("Where", List.of(positive, c.grad(0), c.op("Mul", c.grad(0), slope))));
    }
}
