package org.explain4j.onnx.grad.rules;

import java.util.List;
import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/** Relu: the gradient passes where the input is positive (zero at 0, as in PyTorch). */
final class ReluRule implements OpRule {
    @Override
    public void backward(RuleContext c) {
        String zero = c.scalar(0, c.inputType(0));
        String positive = c.op("Greater", c.input(0), zero);
        c.addGrad(0, c.op("Where", List.of(positive, c.grad(0), zero)));
    }
}
